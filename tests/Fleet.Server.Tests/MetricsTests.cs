using System.Diagnostics;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class MetricsTests(ServerProcessFixture server) : IClassFixture<ServerProcessFixture>
{
    [Fact]
    public async Task Metric_series_do_not_grow_with_the_number_of_slices()
    {
        var model = UniqueModel("cardinality");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        var slices = Enumerable.Range(0, 300).Select(i => $"store={i}").ToArray();
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = slices });
        await Parallel.ForEachAsync(slices, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (slice, ct) =>
            await server.Client.PredictAsync(model, slice, [X(1, 2, 3)], cancellationToken: ct));

        var metrics = await server.Http.GetStringAsync("metrics");
        var series = metrics.Split('\n').Where(l => !l.StartsWith('#') && l.Contains($"model=\"{model}\"", StringComparison.Ordinal)).ToArray();
        var predictions = Assert.Single(series, l => l.StartsWith("fleet_predictions_total{", StringComparison.Ordinal));
        Assert.EndsWith(" 300", predictions.Split(" # ")[0].TrimEnd());
        Assert.DoesNotContain(series, l => l.Contains("store=", StringComparison.Ordinal));
        // predictions, rows, and one histogram (buckets + sum + count): a fixed number of series per version and role.
        Assert.True(series.Length < 30, $"{series.Length} series for one model version");
        Assert.Contains("fleet_model_host_hits_total", metrics);
        Assert.Contains("fleet_model_host_memory_bytes", metrics);
        Assert.Contains("orleans_", metrics);
    }

    [Fact]
    public async Task A_version_failing_in_onnx_runtime_is_counted_as_that_version_s_error()
    {
        var model = UniqueModel("fails");
        var pushed = await server.Client.PushAsync(model, OnnxModels.FailsAtRuntime());
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version });
        using var response = await server.Http.PostAsync($"v2/models/{model}/infer",
            new StringContent("""{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        var metrics = await server.Http.GetStringAsync("metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("fleet_prediction_errors_total{", StringComparison.Ordinal) && l.Contains($"model=\"{model}\"", StringComparison.Ordinal));
        Assert.Contains($"version=\"{Fleet.Core.Identity.VersionId.Short(pushed.Version.Version)}\"", line);
        Assert.Contains("role=\"stable\"", line);
        Assert.EndsWith(" 1", line.Split(" # ")[0].TrimEnd());
    }

    [Fact]
    public async Task Promtool_finds_nothing_wrong_with_the_metrics()
    {
        var model = UniqueModel("promtool");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version });
        await server.Client.PredictAsync(model, null, [X(1, 2, 3)]);
        var metrics = await server.Http.GetStringAsync("metrics");

        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: install Debian's 'prometheus' package (build.ps1 test does)", e);
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(metrics);
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0 && output.Trim().Length == 0, $"promtool exit {process.ExitCode}:\n{output}");
        }
    }
}
