using Fleet.Core.Serving;

namespace Fleet.Core.Tests;

public class EvictionPlannerTests
{
    [Fact]
    public void Nothing_is_evicted_within_the_budget() =>
        Assert.Empty(EvictionPlanner.Plan([new("a", 50, 1), new("b", 50, 2)], budgetBytes: 100, lowWatermarkBytes: 90));

    [Fact]
    public void Least_recently_used_go_first_down_to_the_low_watermark()
    {
        var resident = new ResidentModel[] { new("new", 40, 30), new("old", 40, 10), new("mid", 40, 20) };
        Assert.Equal(["old", "mid"], EvictionPlanner.Plan(resident, budgetBytes: 100, lowWatermarkBytes: 50));
    }

    [Fact]
    public void Evicting_to_the_watermark_frees_room_for_the_next_loads()
    {
        var resident = Enumerable.Range(0, 11).Select(i => new ResidentModel($"m{i}", 10, i)).ToArray();
        var victims = EvictionPlanner.Plan(resident, budgetBytes: 100, lowWatermarkBytes: 80);
        Assert.Equal(["m0", "m1", "m2"], victims);
    }

    [Fact]
    public void Pinned_models_are_never_evicted_even_when_oldest()
    {
        var resident = new ResidentModel[] { new("pinned", 60, 1), new("other", 60, 2) };
        Assert.Equal(["other"], EvictionPlanner.Plan(resident, 100, 90, new HashSet<string> { "pinned" }));
    }

    [Fact]
    public void A_single_model_larger_than_the_budget_is_evicted_unless_pinned()
    {
        Assert.Equal(["big"], EvictionPlanner.Plan([new("big", 500, 1)], 100, 90));
        Assert.Empty(EvictionPlanner.Plan([new("big", 500, 1)], 100, 90, new HashSet<string> { "big" }));
    }

    [Fact]
    public void Ties_in_last_use_break_by_key_so_plans_are_deterministic()
    {
        var resident = new ResidentModel[] { new("b", 60, 5), new("a", 60, 5) };
        Assert.Equal(["a"], EvictionPlanner.Plan(resident, 100, 90));
    }

    [Fact]
    public void Random_workloads_always_end_within_the_watermark_or_with_only_pinned_left()
    {
        var random = new Random(42);
        for (var round = 0; round < 500; round++)
        {
            var resident = Enumerable.Range(0, random.Next(1, 40))
                .Select(i => new ResidentModel($"m{i}", random.Next(1, 100), random.Next(0, 1000))).ToArray();
            var budget = random.Next(1, 2000);
            var watermark = (long)(budget * 0.9);
            var victims = EvictionPlanner.Plan(resident, budget, watermark).ToHashSet();
            var kept = resident.Where(m => !victims.Contains(m.Key)).ToArray();
            var total = resident.Sum(m => m.Bytes);
            if (total <= budget)
            {
                Assert.Empty(victims);
                continue;
            }

            Assert.True(kept.Sum(m => m.Bytes) <= watermark, $"round {round}: kept {kept.Sum(m => m.Bytes)} > {watermark}");
            // Every victim was used no later than every model kept (LRU order), ties aside.
            if (victims.Count > 0 && kept.Length > 0)
            {
                Assert.True(resident.Where(m => victims.Contains(m.Key)).Max(m => m.LastUsed) <= kept.Min(m => m.LastUsed), $"round {round}: a kept model is older than a victim");
            }
        }
    }
}
