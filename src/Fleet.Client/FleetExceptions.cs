using System.Net;

namespace Fleet.Client;

/// <summary>The Fleet server refused or failed a request; <see cref="Exception.Message"/> is the server's message.</summary>
public class FleetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FleetException(HttpStatusCode statusCode, string message) : base(message) => StatusCode = statusCode;

    /// <summary>Creates the exception.</summary>
    public FleetException() : base("the Fleet server refused the request")
    {
    }

    /// <summary>Creates the exception.</summary>
    public FleetException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FleetException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The HTTP status the server answered.</summary>
    public HttpStatusCode StatusCode { get; }
}

/// <summary>The request was wrong (400, 413): the message names the problem.</summary>
public sealed class FleetBadRequestException(HttpStatusCode statusCode, string message) : FleetException(statusCode, message);

/// <summary>A model, version or slice does not exist (404).</summary>
public sealed class FleetNotFoundException(string message) : FleetException(HttpStatusCode.NotFound, message);

/// <summary>The request conflicts with the current state (409); <see cref="Conflicts"/> lists what conflicts.</summary>
public sealed class FleetConflictException(string message, IReadOnlyList<string> conflicts) : FleetException(HttpStatusCode.Conflict, message)
{
    /// <summary>What conflicts, one line each.</summary>
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
}

/// <summary>The server failed (5xx).</summary>
public sealed class FleetServerException(HttpStatusCode statusCode, string message) : FleetException(statusCode, message);

/// <summary>The server refused the caller: no or a bad API key (401), or a key without the role or model scope needed (403).</summary>
public sealed class FleetAccessDeniedException(HttpStatusCode statusCode, string message) : FleetException(statusCode, message);

/// <summary>The key is over its rate limit (429); <see cref="RetryAfter"/> says when the server will take the next request.</summary>
public sealed class FleetRateLimitedException(string message, TimeSpan? retryAfter) : FleetException(HttpStatusCode.TooManyRequests, message)
{
    /// <summary>How long to wait before retrying, from the server's <c>Retry-After</c> header (null when it sent none).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
