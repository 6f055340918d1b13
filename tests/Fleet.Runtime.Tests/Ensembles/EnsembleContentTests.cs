using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Signatures;
using Fleet.Runtime.Ensembles;

namespace Fleet.Runtime.Tests.Ensembles;

public sealed class EnsembleContentTests
{
    [Fact]
    public void The_same_definition_spelled_two_ways_is_one_version()
    {
        var terse = MemoryDirectory.Parse(new EnsembleRequest { Members = [new() { Model = "a", Slice = "store=1,country=de" }, new() { Model = "b" }] });
        var verbose = MemoryDirectory.Parse(new EnsembleRequest
        {
            Members = [new() { Id = "a", Model = "a", Slice = "country=de,store=1", Weight = 1, Index = 0, Scale = 1, TimeoutMs = 1000 }, new() { Model = "b", Fallback = [] }],
            Combiner = "mean",
            Quorum = 2,
            OnFailure = "fail",
            Output = "prediction",
        });

        Assert.Equal(EnsembleContent.VersionOf(terse), EnsembleContent.VersionOf(verbose));
        Assert.Equal(64, EnsembleContent.VersionOf(terse).Length);
    }

    [Fact]
    public void Any_change_is_another_version()
    {
        var baseline = MemoryDirectory.Over("a", "b");
        var versions = new[]
        {
            baseline,
            baseline with { Combiner = "median" },
            baseline with { Quorum = 1, OnFailure = "drop" },
            baseline with { Output = "demand" },
            baseline with { TimeoutMs = 50 },
            MemoryDirectory.Over("b", "a"),
            baseline with { Members = [new() { Model = "a", Weight = 2 }, new() { Model = "b" }] },
            baseline with { Members = [new() { Model = "a", Fallback = ["default"] }, new() { Model = "b" }] },
        }.Select(r => EnsembleContent.VersionOf(MemoryDirectory.Parse(r))).ToList();

        Assert.Equal(versions.Count, versions.Distinct().Count());
    }

    [Fact]
    public void The_stored_form_parses_back_to_the_same_definition_and_version()
    {
        var original = MemoryDirectory.Parse(new EnsembleRequest
        {
            Members = [new() { Id = "s", Model = "a", Slice = "season=1", Fallback = ["default"], Weight = 0.3, Output = "y", Index = 0, Scale = 2.5, TimeoutMs = 30 }, new() { Ensemble = "inner" }],
            Combiner = "weighted_mean",
            Quorum = 1,
            OnFailure = "drop",
        });

        var again = MemoryDirectory.Parse(EnsembleContent.ToRequest(original));
        Assert.Equal(EnsembleContent.VersionOf(original), EnsembleContent.VersionOf(again));
        Assert.Equal(original.Members[0], again.Members[0] with { Fallback = original.Members[0].Fallback });
        Assert.Equal(original.Members[0].Fallback, again.Members[0].Fallback);
        Assert.Equal((original.Combiner, original.Quorum, original.OnFailure), (again.Combiner, again.Quorum, again.OnFailure));
    }

    [Fact]
    public void The_canonical_json_parses_back_to_the_same_version()
    {
        var original = MemoryDirectory.Parse(new EnsembleRequest
        {
            Members = [new() { Model = "a", Fallback = ["default"], Scale = 3 }, new() { Ensemble = "inner", Slice = "default" }],
            Combiner = "median",
        });

        var stored = System.Text.Json.JsonSerializer.Deserialize<EnsembleRequest>(EnsembleContent.Canonical(original))!;
        Assert.Equal(EnsembleContent.VersionOf(original), EnsembleContent.VersionOf(MemoryDirectory.Parse(stored)));
    }

    [Fact]
    public void The_canonical_json_writes_every_default()
    {
        var json = System.Text.Encoding.UTF8.GetString(EnsembleContent.Canonical(MemoryDirectory.Parse(MemoryDirectory.Over("a"))));
        Assert.Equal(
            """{"combiner":"mean","quorum":1,"on_failure":"fail","output":"prediction","members":[{"id":"a","model":"a","fallback":[],"weight":1,"index":0,"scale":1,"timeout_ms":1000}]}""",
            json);
    }
}
