using System.Net.Http.Headers;
using Fleet.Contracts.Inference;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>Models and requests the server tests share.</summary>
internal static class ServerTestData
{
    public static readonly float[] Weights = [0.5f, -1.25f, 2f];

    public static byte[] Model(float bias = 0.1f) => OnnxModels.LogisticRegression(Weights, bias);

    public static string UniqueModel(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static InferInput X(params float[] rows) => new("x", "FP32", [rows.Length / 3, 3], rows);

    public static MultipartFormDataContent PushForm(byte[] onnx, string? metadata = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(onnx);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "model.onnx");
        if (metadata is not null)
        {
            form.Add(new StringContent(metadata), "metadata");
        }

        return form;
    }
}
