using System.Diagnostics;
using Fleet.Contracts.Management;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Benchmarks;

/// <summary>The full Fleet server (silo, HTTP, metrics) in the benchmark process, as the in-process benchmarks run it.</summary>
internal static class InProcessFleet
{
    /// <summary>A server keeping its data in <paramref name="dataPath"/>, on free ports, logging warnings only, with <paramref name="settings"/> added.</summary>
    public static WebApplication Build(string dataPath, params string[] settings) => FleetServer.Build(
        ["--urls", "http://127.0.0.1:0", "--data", dataPath, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0", "--Logging:LogLevel:Default=Warning", .. settings]);

    /// <summary>Pushes <paramref name="onnx"/> as <paramref name="model"/> and deploys it to <paramref name="slice"/>; returns the version.</summary>
    public static async Task<string> DeployAsync(WebApplication app, string model, byte[] onnx, string slice)
    {
        var pushed = await app.Services.GetRequiredService<ModelRegistry>().PushAsync(model, onnx, null, "benchmark");
        var deployed = await app.Services.GetRequiredService<DeploymentService>().DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = [slice] }, "benchmark");
        return deployed.Deployed == 1
            ? pushed.Version.Version
            : throw new InvalidOperationException($"deploying {model} to {slice} deployed {deployed.Deployed} slices");
    }
}

/// <summary>Latency samples taken as <see cref="Stopwatch"/> ticks.</summary>
internal static class TickSamples
{
    /// <summary>The nearest-rank percentile <paramref name="q"/> of <paramref name="ticks"/>, in microseconds.</summary>
    public static double Us(IReadOnlyCollection<long> ticks, double q) =>
        LatencyStats.Percentile([.. ticks.Select(t => t * 1e6 / Stopwatch.Frequency).Order()], q);
}
