namespace Fleet.Core.Tensors;

/// <summary>The caller's inference request is wrong; the message names the problem (a 400).</summary>
public sealed class InferRequestException : Errors.BadRequestException
{
    /// <summary>Creates the exception with a message for the caller.</summary>
    public InferRequestException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the caller and its cause.</summary>
    public InferRequestException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public InferRequestException() : base("the inference request is invalid")
    {
    }
}
