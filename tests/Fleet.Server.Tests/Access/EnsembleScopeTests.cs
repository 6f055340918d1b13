using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Server.Tests.Grpc;
using Fleet.TestSupport;
using Grpc.Core;
using static Fleet.Server.Tests.Grpc.GrpcClients;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Access;

/// <summary>
/// A key scoped to some models cannot reach other models through an ensemble: calling one (REST or gRPC) or saving one
/// needs a scope covering every model it reaches, nested ensembles included, not only the ensemble's name.
/// </summary>
public sealed class EnsembleScopeTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private static readonly float[] Row = [1, 2, 3];
    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    private async Task<string> DeployedAsync(string name)
    {
        var version = (await server.Client.PushAsync(name, Model(0.2f))).Version.Version;
        await server.Client.DeployAsync(name, new DeployRequest { Version = version });
        return name;
    }

    private async Task<string> KeyAsync(string pattern) => (await server.Client.CreateKeyAsync(new CreateApiKeyRequest
    {
        Name = "scoped " + pattern,
        Roles = ["reader", "caller", "deployer"],
        Models = [pattern],
    })).Key;

    private static StringContent Infer() => new("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", Encoding.UTF8, "application/json");

    private static async Task<string> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

    [Fact]
    public async Task Calling_an_ensemble_inside_the_scope_that_reaches_a_model_outside_it_is_403_over_REST_and_PERMISSION_DENIED_over_gRPC()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var inside = await DeployedAsync($"sc{tag}-a");
        var outside = await DeployedAsync($"other{tag}-b");
        var key = await KeyAsync($"sc{tag}-*");
        var reaching = $"sc{tag}-mix";
        var contained = $"sc{tag}-own";
        var nesting = $"sc{tag}-outer";
        await server.Client.PutEnsembleAsync(reaching, new EnsembleRequest { Members = [new() { Model = inside }, new() { Model = outside }] });
        await server.Client.PutEnsembleAsync(contained, new EnsembleRequest { Members = [new() { Model = inside }] });
        await server.Client.PutEnsembleAsync(nesting, new EnsembleRequest { Members = [new() { Ensemble = reaching }] });
        using var http = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(key);

        using (var ok = await http.PostAsync($"v2/models/{contained}/infer", Infer()))
        {
            Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
        }

        foreach (var ensemble in new[] { reaching, nesting })
        {
            using var refused = await http.PostAsync($"v2/models/{ensemble}/infer", Infer());
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var message = await ErrorAsync(refused);
            Assert.Contains($"it may not touch model '{outside}', which ensemble '{ensemble}' reaches", message, StringComparison.Ordinal);

            var denied = await Assert.ThrowsAsync<RpcException>(async () =>
                await _grpc.Inference.ModelInferAsync(Request(ensemble, Input("x", "FP32", [1, 3], Floats(Row))), Key(key)));
            Assert.Equal((StatusCode.PermissionDenied, message), (denied.StatusCode, denied.Status.Detail));
        }

        // The admin key is unscoped: it calls the same ensemble.
        using var admin = await server.Http.PostAsync($"v2/models/{reaching}/infer", Infer());
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task A_scoped_key_may_save_only_an_ensemble_whose_every_model_is_in_its_scope()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var inside = await DeployedAsync($"sv{tag}-a");
        var outside = await DeployedAsync($"away{tag}-b");
        var key = await KeyAsync($"sv{tag}-*");
        var reaching = $"sv{tag}-mix";
        await server.Client.PutEnsembleAsync(reaching, new EnsembleRequest { Members = [new() { Model = inside }, new() { Model = outside }] });
        using var http = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(key);

        using (var direct = await http.PutAsync($"api/v1/ensembles/sv{tag}-new", new StringContent($$"""{"members":[{"model":"{{outside}}"}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, direct.StatusCode);
            Assert.Contains($"it may not touch model '{outside}', which ensemble 'sv{tag}-new' reaches", await ErrorAsync(direct), StringComparison.Ordinal);
        }

        using (var nested = await http.PutAsync($"api/v1/ensembles/sv{tag}-nest", new StringContent($$"""{"members":[{"ensemble":"{{reaching}}"}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, nested.StatusCode);
            Assert.Contains($"model '{outside}'", await ErrorAsync(nested), StringComparison.Ordinal);
        }

        using var allowed = await http.PutAsync($"api/v1/ensembles/sv{tag}-own", new StringContent($$"""{"members":[{"model":"{{inside}}"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.DoesNotContain(await server.Client.ListEnsemblesAsync(), e => e.Name == $"sv{tag}-new" || e.Name == $"sv{tag}-nest");
    }
}
