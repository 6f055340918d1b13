using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Ensembles;

/// <summary>
/// A member whose model never answers (a run that loops until stopped), behind a quorum that drops it: the ensemble
/// answers at the member's timeout with the others' mean, wherever the member sits, and the hung run is stopped.
/// </summary>
public sealed class HungMemberTests(HungMemberTests.LongInferenceTimeout server) : IClassFixture<HungMemberTests.LongInferenceTimeout>
{
    /// <summary>A server whose own inference timeout (20 s) is far beyond the member's, so only the member's timeout can answer in time.</summary>
    public sealed class LongInferenceTimeout : FleetServerFixture
    {
        public LongInferenceTimeout() => Settings["Fleet:InferenceTimeout"] = "00:00:20";
    }

    private static readonly float[] Row = [1, 2, 3];

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_member_that_never_answers_is_dropped_at_its_timeout_and_the_quorum_answers(int position)
    {
        var members = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var model = UniqueModel("hm-ok");
            var version = (await server.Client.PushAsync(model, Model(0.1f * (i + 1)))).Version.Version;
            await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });
            members.Add(model);
        }

        var stuck = UniqueModel("hm-stuck");
        var stuckVersion = (await server.Client.PushAsync(stuck, OnnxModels.NeverAnswers(Weights, 0.1f))).Version.Version;
        await server.Client.DeployAsync(stuck, new DeployRequest { Version = stuckVersion, Slices = ["s=1"] });
        members.Insert(position, stuck);
        var ensemble = UniqueModel("hm-ens");
        await server.Client.PutEnsembleAsync(ensemble, new EnsembleRequest
        {
            Combiner = "mean",
            Quorum = 2,
            OnFailure = "drop",
            Members = [.. members.Select(m => new EnsembleMemberRequest { Model = m, TimeoutMs = m == stuck ? 200 : null })],
        });

        for (var call = 0; call < 3; call++)
        {
            using var response = await server.Http.PostAsync($"v2/models/{ensemble}@s=1/infer", new StringContent(
                """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""", Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"call {call + 1} answered {(int)response.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var mean = (OnnxModels.LogisticScore(Weights, 0.1f, Row) + OnnxModels.LogisticScore(Weights, 0.2f, Row)) / 2;
            Assert.Equal(mean, root.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle(), 1e-6f);
            Assert.StartsWith($"{stuck}: timed_out: no answer within 200 ms", root.GetProperty("parameters").GetProperty("ensemble_dropped").GetString(), StringComparison.Ordinal);
        }
    }
}
