using Fleet.Core.Alarms;
using Fleet.Core.Drift;

namespace Fleet.Core.Tests.Drift;

public sealed class DriftEpisodesTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static FeatureDrift Feature(string name, bool drifted, double? value = 0.2) =>
        new(name, DriftMethod.JensenShannon, value, 0.1, drifted, 500, 500, 0.3);

    private static DriftReport Drifting(params string[] features) =>
        new([.. features.Select(f => Feature(f, true)), Feature("calm", false, 0.01)], false);

    private static DriftReport Clear() => new([Feature("a", false, 0.01), Feature("calm", false, 0.01)], false);

    private static DriftReport NoVerdict() => new([Feature("a", false, null)], false);

    [Fact]
    public void A_drifting_stretch_raises_once_with_its_start_and_features_and_clears_once_after_the_clear_verdicts()
    {
        var step = DriftEpisodes.Step(null, Drifting("b"), Noon, clearAfter: 2);
        Assert.Equal(AlarmChange.Raised, step.Change);
        Assert.Equal(Noon, step.Open!.Since);
        Assert.Equal(["b"], step.Open.Features.Select(f => f.Feature));

        step = DriftEpisodes.Step(step.Open, Drifting("a"), Noon.AddHours(1), 2);
        Assert.Equal(AlarmChange.None, step.Change);
        Assert.Equal(Noon, step.Open!.Since);
        Assert.Equal(Noon.AddHours(1), step.Open.LastDrifted);
        Assert.Equal(["a", "b"], step.Open.Features.Select(f => f.Feature));

        step = DriftEpisodes.Step(step.Open, Clear(), Noon.AddHours(2), 2);
        Assert.Equal(AlarmChange.None, step.Change);
        Assert.Equal(1, step.Open!.ClearVerdicts);

        step = DriftEpisodes.Step(step.Open, NoVerdict(), Noon.AddHours(3), 2);
        Assert.Equal(AlarmChange.None, step.Change);
        Assert.Equal(1, step.Open!.ClearVerdicts);

        step = DriftEpisodes.Step(step.Open, Clear(), Noon.AddHours(4), 2);
        Assert.Equal(AlarmChange.Cleared, step.Change);
        Assert.Null(step.Open);
        Assert.Equal(Noon, step.Closed!.Since);
        Assert.Equal(["a", "b"], step.Closed.Features.Select(f => f.Feature));
    }

    [Fact]
    public void A_drifting_verdict_between_clear_ones_starts_the_count_of_clear_verdicts_again()
    {
        var open = DriftEpisodes.Step(null, Drifting("a"), Noon, 2).Open;
        open = DriftEpisodes.Step(open, Clear(), Noon.AddHours(1), 2).Open;
        open = DriftEpisodes.Step(open, Drifting("a"), Noon.AddHours(2), 2).Open;
        var step = DriftEpisodes.Step(open, Clear(), Noon.AddHours(3), 2);

        Assert.Equal(AlarmChange.None, step.Change);
        Assert.Equal(1, step.Open!.ClearVerdicts);
        Assert.Equal(Noon, step.Open.Since);
    }

    [Fact]
    public void The_latest_numbers_of_a_feature_replace_its_earlier_ones()
    {
        var open = DriftEpisodes.Step(null, Drifting("a"), Noon, 1).Open;
        var later = new DriftReport([Feature("a", true, 0.4)], true);
        open = DriftEpisodes.Step(open, later, Noon.AddHours(1), 1).Open;

        Assert.Equal(0.4, Assert.Single(open!.Features).Value);
        Assert.Contains("a: Jensen-Shannon 0.400", open.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_report_and_a_report_without_any_verdict_change_nothing_open_or_not()
    {
        var open = DriftEpisodes.Step(null, Drifting("a"), Noon, 1).Open;
        foreach (var report in new[] { null, NoVerdict(), new DriftReport([], false) })
        {
            Assert.Equal(new AlarmStep(null, AlarmChange.None), DriftEpisodes.Step(null, report, Noon, 1));
            Assert.Equal(new AlarmStep(open, AlarmChange.None), DriftEpisodes.Step(open, report, Noon, 1));
        }
    }

    [Fact]
    public void Clear_after_must_be_at_least_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DriftEpisodes.Step(null, Clear(), Noon, 0));

    // Every sequence of up to seven verdicts (none, clear, drift) under every clear count from 1 to 3, against a
    // straightforward model: one raise per drifting stretch, one clear when a stretch ends in enough clear verdicts.
    [Fact]
    public void Every_sequence_of_verdicts_raises_and_clears_exactly_as_often_as_its_episodes_start_and_end()
    {
        var kinds = new[] { 'n', 'c', 'd' };
        var checkedSequences = 0;
        for (var length = 1; length <= 7; length++)
        {
            foreach (var sequence in Sequences(kinds, length))
            {
                for (var clearAfter = 1; clearAfter <= 3; clearAfter++)
                {
                    var (raises, clears, openAtEnd) = Expected(sequence, clearAfter);
                    DriftEpisode? open = null;
                    var (seenRaises, seenClears) = (0, 0);
                    var at = Noon;
                    foreach (var kind in sequence)
                    {
                        at = at.AddHours(1);
                        var report = kind switch { 'n' => NoVerdict(), 'c' => Clear(), _ => Drifting("a") };
                        var step = DriftEpisodes.Step(open, report, at, clearAfter);
                        seenRaises += step.Change == AlarmChange.Raised ? 1 : 0;
                        seenClears += step.Change == AlarmChange.Cleared ? 1 : 0;
                        Assert.Equal(step.Change == AlarmChange.Cleared, step.Closed is not null);
                        if (step.Change == AlarmChange.Raised)
                        {
                            Assert.Equal(at, step.Open!.Since);
                        }

                        open = step.Open;
                    }

                    var name = $"{new string(sequence)} clearing after {clearAfter}";
                    Assert.True(raises == seenRaises, $"{name}: {seenRaises} raises, expected {raises}");
                    Assert.True(clears == seenClears, $"{name}: {seenClears} clears, expected {clears}");
                    Assert.True(openAtEnd == open is not null, $"{name}: open at the end {open is not null}");
                    checkedSequences++;
                }
            }
        }

        Assert.Equal(3 * (3 + 9 + 27 + 81 + 243 + 729 + 2187), checkedSequences);
    }

    private static (int Raises, int Clears, bool Open) Expected(char[] sequence, int clearAfter)
    {
        var (raises, clears, open, clearRun) = (0, 0, false, 0);
        foreach (var kind in sequence)
        {
            if (kind == 'd')
            {
                raises += open ? 0 : 1;
                (open, clearRun) = (true, 0);
            }
            else if (kind == 'c' && open && ++clearRun == clearAfter)
            {
                clears++;
                (open, clearRun) = (false, 0);
            }
        }

        return (raises, clears, open);
    }

    private static IEnumerable<char[]> Sequences(char[] kinds, int length)
    {
        if (length == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var rest in Sequences(kinds, length - 1))
        {
            foreach (var kind in kinds)
            {
                yield return [.. rest, kind];
            }
        }
    }
}
