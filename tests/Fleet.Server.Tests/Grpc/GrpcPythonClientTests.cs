using System.Diagnostics;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Grpc;

/// <summary>
/// An unmodified Python gRPC client (Debian's python3-grpcio and python3-grpc-tools) generates its stubs from the
/// committed proto and calls the server. Python or its gRPC packages missing is a failure that names them.
/// </summary>
public sealed class GrpcPythonClientTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    [Fact]
    public async Task A_Python_client_generated_from_the_public_proto_infers_with_raw_and_typed_contents()
    {
        var model = ServerTestData.UniqueModel("gpython");
        var pushed = await server.Client.PushAsync(model, ServerTestData.Model());
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] });
        var address = server.Services.GetService(typeof(Fleet.Server.Grpc.GrpcEndpoint)) as Fleet.Server.Grpc.GrpcEndpoint;
        Assert.NotNull(address);

        using var output = new TempDirectory("fleet-grpc-python");
        var protoDir = Path.Combine(RepositoryPaths.Root, "src", "Fleet.Server", "Grpc", "Protos");
        var script = Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Server.Tests", "Grpc", "oip_grpc_client.py");
        var (code, stdout, stderr) = await RunAsync(Python(), [script, protoDir, output.Path, address.Address.Authority, model + "@weekday=6", TestKeys.Admin]);
        Assert.True(code == 0, $"the Python client failed (exit {code}); it needs python3 with Debian's python3-grpcio and python3-grpc-tools:\n{stderr}");

        using var json = JsonDocument.Parse(stdout);
        var result = json.RootElement;
        Assert.True(result.GetProperty("live").GetBoolean());
        Assert.Equal(pushed.Version.Version, result.GetProperty("version").GetString());
        Assert.Equal("py-1", result.GetProperty("id").GetString());
        foreach (var scores in new[] { "raw_scores", "typed_scores" })
        {
            var values = result.GetProperty(scores).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(2, values.Length);
            Assert.Equal(OnnxModels.LogisticScore(ServerTestData.Weights, 0.1f, [1, 2, 3]), values[0], 1e-6);
            Assert.Equal(OnnxModels.LogisticScore(ServerTestData.Weights, 0.1f, [-1, 0.5f, 0.25f]), values[1], 1e-6);
        }

        Assert.Equal("UNAUTHENTICATED", result.GetProperty("anonymous").GetString());
        Assert.Contains("no API key", result.GetProperty("anonymous_message").GetString(), StringComparison.Ordinal);
    }

    // Debian's interpreter, where the Debian packages are, when a version manager shadows it on PATH.
    private static string Python() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"this test needs {file} with Debian's python3-grpcio and python3-grpc-tools (apt-get install python3-grpcio python3-grpc-tools): {e.Message}", e);
        }

        using var started = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
