namespace Fleet.Core.Errors;

/// <summary>The caller asked for something wrong; the message names the problem (a 400).</summary>
public class BadRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BadRequestException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadRequestException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BadRequestException() : base("bad request")
    {
    }
}

/// <summary>A model, version or slice the caller named does not exist (a 404).</summary>
public sealed class NotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NotFoundException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NotFoundException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NotFoundException() : base("not found")
    {
    }
}

/// <summary>The caller's key may not do what it asked, for a reason only the service can see (a 403; PERMISSION_DENIED over gRPC).</summary>
public sealed class ForbiddenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ForbiddenException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ForbiddenException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ForbiddenException() : base("forbidden")
    {
    }
}

/// <summary>The request conflicts with the current state (a 409); <see cref="Details"/> lists what conflicts.</summary>
public sealed class ConflictException : Exception
{
    /// <summary>Creates the exception with the conflicting details.</summary>
    public ConflictException(string message, IReadOnlyList<string> details) : base(message) => Details = details;

    /// <summary>Creates the exception.</summary>
    public ConflictException(string message) : this(message, [])
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConflictException(string message, Exception inner) : base(message, inner) => Details = [];

    /// <summary>Creates the exception.</summary>
    public ConflictException() : this("conflict")
    {
    }

    /// <summary>What conflicts, one line each.</summary>
    public IReadOnlyList<string> Details { get; }
}

/// <summary>A prediction ran past the server's inference timeout and was stopped (a 504; DEADLINE_EXCEEDED over gRPC).</summary>
public sealed class InferenceTimeoutException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InferenceTimeoutException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InferenceTimeoutException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InferenceTimeoutException() : base("the prediction took longer than the server's inference timeout")
    {
    }
}
