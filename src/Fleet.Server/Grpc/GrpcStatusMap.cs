using Grpc.Core;

namespace Fleet.Server.Grpc;

/// <summary>The gRPC status code of each HTTP status Fleet answers, so both APIs say the same thing the same way.</summary>
internal static class GrpcStatusMap
{
    /// <summary>The gRPC code for an HTTP status: the caller's mistakes are never UNKNOWN or INTERNAL.</summary>
    public static StatusCode FromHttp(int status) => status switch
    {
        200 => StatusCode.OK,
        400 or 405 or 411 or 415 or 422 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        408 or 504 => StatusCode.DeadlineExceeded,
        409 => StatusCode.FailedPrecondition,
        413 or 429 => StatusCode.ResourceExhausted,
        499 => StatusCode.Cancelled,
        501 => StatusCode.Unimplemented,
        502 or 503 => StatusCode.Unavailable,
        >= 400 and < 500 => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <summary>Encodes a status message for the <c>grpc-message</c> header (percent-encoding outside printable ASCII, as the gRPC protocol asks).</summary>
    public static string EncodeMessage(string message)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(message);
        var text = new System.Text.StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
