namespace Fleet.Runtime.Onnx;

/// <summary>A version failed on valid input, or failed to load: a server error for that version (a 500).</summary>
public sealed class ModelExecutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelExecutionException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelExecutionException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelExecutionException() : base("the model failed")
    {
    }
}
