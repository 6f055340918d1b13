using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Core.Identity;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Crafted models pushed to a real server process whose working folder holds a file with a known secret.</summary>
public sealed class HostileModelTests(ServerProcessFixture server) : IClassFixture<ServerProcessFixture>, IDisposable
{
    // The server process runs in the test's output folder (see ServerProcess), the folder ONNX Runtime would resolve
    // a relative external-data path against.
    private readonly string _secretName = WriteSecret();

    public void Dispose() => File.Delete(Path.Combine(AppContext.BaseDirectory, _secretName));

    public static TheoryData<string> Variants => new(HostileModels.Variants);

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_crafted_push_is_400_naming_the_problem_and_nothing_is_stored(string variant)
    {
        var model = UniqueModel("hostile");
        var bytes = HostileModels.Build(variant, _secretName);
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.StartsWith("the file is not a model Fleet can serve", error);
        Assert.True(error!.Contains("references external data", StringComparison.Ordinal)
            || error.Contains("does not parse", StringComparison.Ordinal)
            || error.Contains("does not define", StringComparison.Ordinal), error);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"api/v1/models/{model}")).StatusCode);
        Assert.Empty(Directory.GetFiles(server.DataDirectory, VersionId.Of(bytes) + "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_valid_model_still_pushes_beside_the_refused_ones()
    {
        var model = UniqueModel("valid");
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(Model()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static string WriteSecret()
    {
        var name = $"fleet-secret-{Guid.NewGuid():N}.bin";
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, name), HostileModels.Secret);
        return name;
    }
}
