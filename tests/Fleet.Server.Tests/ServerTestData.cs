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

    /// <summary>The sum of a series' values on the server's <c>/metrics</c>, over its lines whose labels contain <paramref name="label"/> (0 when there are none).</summary>
    public static async Task<double> MetricSumAsync(HttpClient http, string series, string label)
    {
        var metrics = await http.GetStringAsync("metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith(series + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
