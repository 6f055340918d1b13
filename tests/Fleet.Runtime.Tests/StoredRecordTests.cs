using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Signatures;
using Fleet.Core.Vocabulary;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

/// <summary>Stored slice records: written with wire names since schema 3; records of schema 1 and 2 (C# enum names) still load.</summary>
public sealed class StoredRecordTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<string> DataFile(string name) => await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", name));

    [Fact]
    public async Task A_schema_2_record_with_CSharp_enum_names_loads_with_its_spec_and_evidence()
    {
        // Written by the code of schema 2: enums by C# name, evidence of a shadow-then-canary rollout at its first canary step.
        var record = JsonSerializer.Deserialize<SliceRecord>(await DataFile("slice-record-v2.json"), StoredJson.Options)!;

        Assert.Equal(2, record.SchemaVersion);
        var rollout = record.Rollout!;
        Assert.Equal((RolloutStrategy.ShadowThenCanary, DeadlineAction.Pause, RolloutPhase.Canary, 0), (rollout.Spec.Strategy, rollout.Spec.OnDeadline, rollout.Phase, rollout.Step));
        Assert.Equal([(GateMetric.ErrorRate, DistanceMeasure.Ks), (GateMetric.OutputDistribution, DistanceMeasure.Psi)], rollout.Spec.Gates!.Select(g => (g.Metric, g.Distance)));
        Assert.Equal(40, record.RolloutEvidence!.Steps[0].Candidate.Requests);
        Assert.Equal(50, record.RolloutEvidence.Shadow.Requests);
    }

    [Fact]
    public async Task A_stored_signature_reads_into_the_domain_record()
    {
        // Written by the code of schema 2, which stored the wire's ModelSignature.
        var record = JsonSerializer.Deserialize<SliceRecord>(await DataFile("slice-record-v2.json"), StoredJson.Options)!;

        var input = Assert.Single(record.StableSignature!.Inputs);
        Assert.Equal(("double_input", "FP64"), (input.Name, input.DataType));
        Assert.Equal([-1L, 10L], input.Shape);
        Assert.Equal(("variable", "FP64"), (record.StableSignature.Outputs[0].Name, record.StableSignature.Outputs[0].DataType));
    }

    [Fact]
    public void A_domain_signature_is_stored_in_the_form_the_wire_signature_was_stored_in()
    {
        // Schemas 1 to 3 stored the wire's ModelSignature with these options; the domain's signature must be stored the
        // same, byte for byte, so old and new nodes read each other's records.
        using var classes = JsonDocument.Parse("[0, \"yes\"]");
        var wire = new ModelSignature(
            [new TensorSpec("x", "FP32", [-1, 3])],
            [new TensorSpec("label", "INT64", [-1]), new TensorSpec("probabilities", "FP32", [-1, 2]) { Parameters = new() { Classes = [.. classes.RootElement.EnumerateArray()] } }]);

        var domain = wire.ToDomain();
        var stored = JsonSerializer.Serialize(domain, StoredJson.Options);

        Assert.Equal(JsonSerializer.Serialize(wire, StoredJson.Options), stored);
        var back = JsonSerializer.Deserialize<VersionSignature>(stored, StoredJson.Options)!;
        Assert.Equal(stored, JsonSerializer.Serialize(back, StoredJson.Options));
        Assert.Equal(["0", "\"yes\""], back.Outputs[1].Parameters!.Classes!.Select(c => c.GetRawText()));
    }

    [Fact]
    public async Task A_new_record_is_written_with_wire_names_and_round_trips()
    {
        var record = JsonSerializer.Deserialize<SliceRecord>(await DataFile("slice-record-v2.json"), StoredJson.Options)!;
        record.SchemaVersion = SliceRecord.CurrentSchema;

        var json = JsonSerializer.Serialize(record, StoredJson.Options);

        Assert.Contains("\"SchemaVersion\":3", json, StringComparison.Ordinal);
        Assert.Contains($"\"Strategy\":\"{RolloutStrategies.ShadowThenCanary}\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"OnDeadline\":\"{DeadlineActions.Pause}\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"Phase\":\"{RolloutPhases.Canary}\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"Metric\":\"{GateMetrics.OutputDistribution}\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"Distance\":\"{DistanceMeasures.Psi}\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("ShadowThenCanary", json, StringComparison.Ordinal);
        Assert.DoesNotContain("OutputDistribution", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<SliceRecord>(json, StoredJson.Options)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, StoredJson.Options));
    }

    [Fact]
    public async Task Records_of_every_schema_load_through_the_slice_store()
    {
        await using var db = new SqliteDatabase(Path.Combine(_dir.Path, "fleet.db"), SqliteSliceStore.Schema);
        var store = new SqliteSliceStore(db);
        foreach (var (slice, file) in new[] { ("diab/s=1", "slice-record-v1.json"), ("diab/s=2", "slice-record-v2.json") })
        {
            var json = await DataFile(file);
            await db.WriteAsync(connection =>
            {
                using var insert = SqliteDatabase.Command(connection, "INSERT INTO slice_records (slice_id, version, record) VALUES (@p0, 1, @p1)", slice, json);
                return insert.ExecuteNonQuery();
            });
        }

        var v1 = (await store.LoadAsync("diab/s=1"))!;
        var v2 = (await store.LoadAsync("diab/s=2"))!;
        Assert.Equal((1, RolloutPhase.Canary, RolloutStrategy.Canary), (v1.Record.SchemaVersion, v1.Record.Rollout!.Phase, v1.Record.Rollout.Spec.Strategy));
        Assert.Equal((2, RolloutStrategy.ShadowThenCanary), (v2.Record.SchemaVersion, v2.Record.Rollout!.Spec.Strategy));

        // Saved again, the record is of the current schema and reads the same.
        v2.Record.SchemaVersion = SliceRecord.CurrentSchema;
        await store.SaveAsync("diab/s=2", v2.Record, 1, []);
        var again = (await store.LoadAsync("diab/s=2"))!;
        Assert.Equal((3, 2L, RolloutStrategy.ShadowThenCanary, 40L), (again.Record.SchemaVersion, again.Version, again.Record.Rollout!.Spec.Strategy, again.Record.RolloutEvidence!.Steps[0].Candidate.Requests));
    }

    [Fact]
    public void Every_member_of_every_vocabulary_is_written_by_wire_name_and_read_by_either_name()
    {
        AssertRoundTrips(WireNames.Strategies);
        AssertRoundTrips(WireNames.Phases);
        AssertRoundTrips(WireNames.Outcomes);
        AssertRoundTrips(WireNames.Metrics);
        AssertRoundTrips(WireNames.Distances);
        AssertRoundTrips(WireNames.DeadlineActions);
        AssertRoundTrips(WireNames.Roles);
        Assert.Equal("\"rolled_back\"", JsonSerializer.Serialize(RolloutPhase.RolledBack, StoredJson.Options));
    }

    [Fact]
    public void An_unknown_name_fails_naming_the_valid_ones()
    {
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RolloutPhase>("\"rolledback\"", StoredJson.Options));
        Assert.Contains("'rolledback' is not a RolloutPhase", e.Message, StringComparison.Ordinal);
        Assert.Contains("rolled_back", e.Message, StringComparison.Ordinal);
    }

    private static void AssertRoundTrips<T>(WireVocabulary<T> vocabulary)
        where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
        {
            var json = JsonSerializer.Serialize(value, StoredJson.Options);
            Assert.Equal($"\"{vocabulary.Name(value)}\"", json);
            Assert.Equal(value, JsonSerializer.Deserialize<T>(json, StoredJson.Options));
            Assert.Equal(value, JsonSerializer.Deserialize<T>($"\"{value}\"", StoredJson.Options));
            Assert.Equal(value, JsonSerializer.Deserialize<T?>(json, StoredJson.Options));
        }
    }
}
