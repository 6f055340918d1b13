using Azure.Storage.Blobs;
using Fleet.Core.Identity;
using Fleet.Runtime.Artifacts;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

/// <summary>What every artifact kind promises, run against each: content addressed, written once, verified on read.</summary>
public abstract class ArtifactStoreContract
{
    /// <summary>A store of the kind under test, over the same storage each time it is called.</summary>
    protected abstract IArtifactStore NewStore();

    /// <summary>Overwrites the stored bytes of <paramref name="version"/> behind the store's back.</summary>
    protected abstract Task CorruptAsync(string version, byte[] bytes);

    private static (string Version, byte[] Bytes) Artifact(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text + Guid.NewGuid());
        return (VersionId.Of(bytes), bytes);
    }

    [Fact]
    public async Task Stored_bytes_read_back_and_exist()
    {
        var store = NewStore();
        var (version, bytes) = Artifact("model");

        Assert.False(await store.ExistsAsync(version));
        await store.PutAsync(version, bytes);

        Assert.True(await store.ExistsAsync(version));
        Assert.Equal(bytes, await store.ReadAsync(version));
        Assert.Equal(bytes, await NewStore().ReadAsync(version));
    }

    [Fact]
    public async Task Storing_the_same_bytes_again_or_at_once_from_two_stores_is_a_no_op()
    {
        var (version, bytes) = Artifact("twice");
        await Task.WhenAll(NewStore().PutAsync(version, bytes), NewStore().PutAsync(version, bytes));
        await NewStore().PutAsync(version, bytes);

        Assert.Equal(bytes, await NewStore().ReadAsync(version));
    }

    [Fact]
    public async Task A_committed_upload_is_stored_and_its_file_removed()
    {
        var store = NewStore();
        var (version, bytes) = Artifact("upload");
        var upload = store.NewUploadPath();
        Directory.CreateDirectory(Path.GetDirectoryName(upload)!);
        await File.WriteAllBytesAsync(upload, bytes);

        await store.CommitUploadAsync(version, upload);

        Assert.False(File.Exists(upload));
        Assert.Equal(bytes, await NewStore().ReadAsync(version));
    }

    [Fact]
    public async Task A_missing_artifact_reads_as_corrupt_naming_the_version()
    {
        var (version, _) = Artifact("missing");
        var e = await Assert.ThrowsAsync<ArtifactCorruptException>(() => NewStore().ReadAsync(version));
        Assert.Contains(version, e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_changed_behind_the_store_are_refused_on_read()
    {
        var store = NewStore();
        var (version, bytes) = Artifact("corrupt");
        await store.PutAsync(version, bytes);
        await CorruptAsync(version, [.. bytes, 0]);

        var e = await Assert.ThrowsAsync<ArtifactCorruptException>(() => store.ReadAsync(version));
        Assert.Contains($"hashes to {VersionId.Of([.. bytes, 0])}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_that_is_not_a_full_id_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => NewStore().ExistsAsync("../../etc/passwd"));
        await Assert.ThrowsAsync<ArgumentException>(() => NewStore().PutAsync("abc", new byte[] { 1 }));
    }

    [Fact]
    public async Task A_reachable_store_is_ready()
    {
        Assert.Null(await NewStore().ProbeAsync());
    }
}

/// <summary>The local folder kind.</summary>
public sealed class LocalArtifactStoreTests : ArtifactStoreContract, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    protected override IArtifactStore NewStore() => new LocalArtifactStore(_dir.Path);

    protected override Task CorruptAsync(string version, byte[] bytes) =>
        File.WriteAllBytesAsync(Path.Combine(_dir.Path, "sha256", version[..2], version + ".onnx"), bytes);
}

/// <summary>The azure-blob kind, against a real Azurite.</summary>
public sealed class AzureBlobArtifactStoreTests(AzuriteServer azurite) : ArtifactStoreContract, IClassFixture<AzuriteServer>
{
    private readonly string _container = $"fleet-{Guid.NewGuid():N}"[..30];

    protected override IArtifactStore NewStore() =>
        AzureBlobArtifactStore.Create(new AzureBlobArtifactOptions { ConnectionString = azurite.ConnectionString, Container = _container });

    protected override async Task CorruptAsync(string version, byte[] bytes) =>
        await new BlobContainerClient(azurite.ConnectionString, _container)
            .GetBlobClient($"sha256/{version[..2]}/{version}.onnx").UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);

    [Fact]
    public async Task The_container_is_created_at_first_use_and_holds_one_blob_per_version()
    {
        var bytes = "fleet"u8.ToArray();
        await NewStore().PutAsync(VersionId.Of(bytes), bytes);

        var names = new List<string>();
        await foreach (var blob in new BlobContainerClient(azurite.ConnectionString, _container).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        var version = VersionId.Of(bytes);
        Assert.Equal([$"sha256/{version[..2]}/{version}.onnx"], names);
    }

    [Fact]
    public async Task An_unreachable_account_is_not_ready_naming_the_container_and_the_endpoint()
    {
        var port = ServerProcess.FreePort();
        var options = new AzureBlobArtifactOptions
        {
            ConnectionString = azurite.ConnectionString.Replace($":{azurite.BlobPort}/", $":{port}/", StringComparison.Ordinal),
            Container = "unreachable",
        };

        var problem = await AzureBlobArtifactStore.Create(options).ProbeAsync();

        Assert.NotNull(problem);
        Assert.StartsWith($"the artifact container unreachable at http://127.0.0.1:{port} cannot be reached: ", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "fleet-artifacts", "Fleet:Artifacts:ConnectionString must be set")]
    [InlineData("UseDevelopmentStorage=true", "Fleet_Artifacts", "Fleet:Artifacts:Container 'Fleet_Artifacts' is not a blob container name")]
    [InlineData("UseDevelopmentStorage=true", "ab", "Fleet:Artifacts:Container 'ab' is not a blob container name")]
    [InlineData("UseDevelopmentStorage=true", "a--b", "Fleet:Artifacts:Container 'a--b' is not a blob container name")]
    public void Settings_are_checked_naming_the_option(string? connectionString, string container, string problem)
    {
        var problems = new AzureBlobArtifactOptions { ConnectionString = connectionString, Container = container }.Validate().ToList();
        Assert.Single(problems);
        Assert.StartsWith(problem, problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_settings_have_no_problem()
    {
        Assert.Empty(new AzureBlobArtifactOptions { ConnectionString = "UseDevelopmentStorage=true", Container = "fleet-artifacts" }.Validate());
    }
}
