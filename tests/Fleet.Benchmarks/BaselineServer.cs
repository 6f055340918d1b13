using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Benchmarks;

/// <summary>
/// The bare endpoint of the HTTP benchmark: the "thirty-minute deployment" a team writes by hand. One ONNX Runtime
/// session loaded at start, one POST route that binds the OIP JSON body to a small DTO with System.Text.Json, builds
/// an OrtValue, runs the session and answers OIP JSON. Kestrel defaults, logging at Warning.
/// </summary>
internal static class BaselineServer
{
    /// <summary>
    /// Starts this executable in baseline-server mode as a child process on a free port, serving <paramref name="modelPath"/>
    /// with the Fleet server's GC setting, and waits until it is ready; returns the process and its base address.
    /// </summary>
    public static async Task<(ChildProcess Process, Uri Url)> StartChildAsync(string modelPath)
    {
        var port = Ports.Free();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var process = ChildProcess.Start(
            ChildProcess.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "Fleet.Benchmarks.dll"), "baseline-server", "--urls", $"http://127.0.0.1:{port}", "--model", modelPath],
            new Dictionary<string, string> { ["DOTNET_gcServer"] = FleetServerProcess.UsesServerGc() ? "1" : "0" });
        try
        {
            await process.WaitReadyAsync(new Uri(url, "v2/health/ready"), TimeSpan.FromSeconds(60));
            return (process, url);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public static async Task<int> RunAsync(string urls, string modelPath)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        using var options = BenchModel.SessionOptionsLikeFleet(arena: true);
        using var session = new InferenceSession(modelPath, options);
        using var runOptions = new RunOptions();
        var outputNames = session.OutputNames.ToArray();

        await using var app = builder.Build();
        app.MapGet("/v2/health/ready", () => Results.Ok(new { ready = true }));
        app.MapPost("/v2/models/{name}/infer", (string name, BaselineInferRequest request) =>
        {
            if (request.Inputs is not [{ Data: not null, Shape: not null, Name: not null } input])
            {
                return Results.BadRequest(new { error = "expected one input with name, shape and data" });
            }

            using var value = OrtValue.CreateTensorValueFromMemory(input.Data, input.Shape);
            using var results = session.Run(runOptions, [input.Name], [value], outputNames);
            var outputs = new BaselineInferOutput[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                outputs[i] = new BaselineInferOutput(
                    outputNames[i], "FP32", results[i].GetTensorTypeAndShape().Shape, results[i].GetTensorDataAsSpan<float>().ToArray());
            }

            return Results.Ok(new BaselineInferResponse(name, "1", outputs));
        });

        Console.WriteLine($"baseline listening on {urls}");
        await app.RunAsync();
        return 0;
    }
}

/// <summary>The OIP request as the hand-written endpoint binds it.</summary>
public sealed record BaselineInferRequest([property: JsonPropertyName("inputs")] BaselineInferInput[]? Inputs);

/// <summary>One input tensor (FP32 only: it is the one model this endpoint serves).</summary>
public sealed record BaselineInferInput(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("shape")] long[]? Shape,
    [property: JsonPropertyName("datatype")] string? DataType,
    [property: JsonPropertyName("data")] float[]? Data);

/// <summary>The OIP response.</summary>
public sealed record BaselineInferResponse(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("outputs")] BaselineInferOutput[] Outputs);

/// <summary>One output tensor.</summary>
public sealed record BaselineInferOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string DataType,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("data")] float[] Data);
