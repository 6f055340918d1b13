namespace Fleet.Core.Tensors;

/// <summary>
/// The wire names of the binary tensor extension (Triton's, used by its clients and by KServe's): a JSON header of
/// <see cref="HeaderLength"/> bytes, then each binary tensor's raw little-endian bytes in order.
/// </summary>
public static class BinaryTensorExtension
{
    /// <summary>The extension's name in server metadata.</summary>
    public const string Name = "binary_tensor_data";

    /// <summary>The protocol extensions the server metadata lists, over REST and gRPC alike.</summary>
    public static readonly IReadOnlyList<string> ServerExtensions = [Name];

    /// <summary>The HTTP header giving the length of the JSON header at the start of the body, in bytes.</summary>
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <summary>The content type of a body that carries binary tensors.</summary>
    public const string ContentType = "application/octet-stream";

    /// <summary>The tensor parameter giving the size of its binary data, in bytes.</summary>
    public const string BinaryDataSize = "binary_data_size";

    /// <summary>The request parameter asking for every output in binary form.</summary>
    public const string BinaryDataOutput = "binary_data_output";

    /// <summary>The output parameter asking for that output in binary form (or not).</summary>
    public const string BinaryData = "binary_data";

    /// <summary>
    /// Reads the value of the <see cref="HeaderLength"/> header of a body of <paramref name="bodyLength"/> bytes; throws
    /// <see cref="InferRequestException"/> when it is not a whole number between 0 and the body's length.
    /// </summary>
    public static int ParseHeaderLength(string value, long bodyLength)
    {
        if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
        {
            throw new InferRequestException(
                $"the {HeaderLength} header must be the length of the JSON header in bytes, a whole number (it was '{InferRequestParser.Truncate(value)}')");
        }

        if (length > bodyLength)
        {
            throw new InferRequestException($"the {HeaderLength} header says {length} bytes of JSON, but the request body has only {bodyLength}");
        }

        return (int)length;
    }
}
