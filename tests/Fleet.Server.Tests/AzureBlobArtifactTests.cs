using System.Net;
using Azure.Storage.Blobs;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>The server with its artifacts in Azure Blob Storage (a real Azurite), chosen by configuration alone.</summary>
public sealed class AzureBlobArtifactTests(AzuriteServer azurite) : IClassFixture<AzuriteServer>
{
    private string[] Settings(string container) =>
        ["--Fleet:Artifacts:Kind=azure-blob", $"--Fleet:Artifacts:ConnectionString={azurite.ConnectionString}", $"--Fleet:Artifacts:Container={container}"];

    [Fact]
    public async Task A_pushed_model_is_stored_in_the_container_not_on_disk_and_served_after_a_restart_from_there()
    {
        using var data = new TempDirectory("fleet-azure-blob");
        var port = ServerProcess.FreePort();
        const string container = "pushed-models";
        string version;
        using (var first = await ServerProcess.StartAsync(data.Path, port, Settings(container)))
        {
            using var client = new FleetClient(first.Address) { ApiKey = TestKeys.Admin };
            version = (await client.PushAsync("bike", Model(0.3f))).Version.Version;
            await client.DeployAsync("bike", new DeployRequest { Version = version, Slices = ["store=1"] });
            Assert.Equal(OnnxModels.LogisticScore(Weights, 0.3f, [1, 2, 3]), (await client.PredictAsync("bike", "store=1", [X(1, 2, 3)])).Output("probability").AsSingles()[0], 1e-6);

            // The start-up line names the kind and masks the account key.
            Assert.Contains("artifacts azure-blob (", first.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1", first.Output, StringComparison.Ordinal);
            first.Kill();
        }

        var blob = new BlobContainerClient(azurite.ConnectionString, container).GetBlobClient($"sha256/{version[..2]}/{version}.onnx");
        Assert.True((await blob.ExistsAsync()).Value);
        Assert.False(Directory.Exists(Path.Combine(data.Path, "artifacts", "sha256")));

        // A fresh start loads the session from the container (the model host keeps nothing across processes).
        using var second = await ServerProcess.StartAsync(data.Path, port, Settings(container));
        using var restarted = new FleetClient(second.Address) { ApiKey = TestKeys.Admin };
        var response = await restarted.PredictAsync("bike", "store=1", [X(1, 2, 3)]);
        Assert.Equal(version, response.ModelVersion);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.3f, [1, 2, 3]), response.Output("probability").AsSingles()[0], 1e-6);
    }

    [Fact]
    public async Task An_unreachable_account_makes_the_server_not_ready_and_says_why()
    {
        var closed = ServerProcess.FreePort();
        var server = new FleetServerFixture();
        server.Settings["Fleet:Artifacts:Kind"] = "azure-blob";
        server.Settings["Fleet:Artifacts:ConnectionString"] = azurite.ConnectionString.Replace($":{azurite.BlobPort}/", $":{closed}/", StringComparison.Ordinal);
        await server.InitializeAsync();
        try
        {
            var ready = await server.Http.GetAsync("v2/health/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains($"the artifact container fleet-artifacts at http://127.0.0.1:{closed} cannot be reached", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
