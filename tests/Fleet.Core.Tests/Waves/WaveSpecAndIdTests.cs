using Fleet.Core.Identity;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Core.Tests.Waves;

public class WaveSpecAndIdTests
{
    [Fact]
    public void The_default_plan_is_valid_and_judges_the_pooled_error_rate_with_a_margin()
    {
        var spec = new WaveSpec();
        Assert.Empty(spec.Validate());
        var gate = Assert.Single(spec.Gates);
        Assert.Equal((GateMetric.ErrorRate, 0.2), (gate.Metric, gate.RelativeMargin));
        Assert.Equal(Fleet.Core.Rollouts.DeadlineAction.Pause, spec.OnDeadline);
    }

    [Theory]
    [InlineData("steps")]
    [InlineData("batches")]
    [InlineData("slice_min_samples")]
    [InlineData("gates")]
    public void Invalid_plans_name_the_field(string field)
    {
        var spec = field switch
        {
            "steps" => new WaveSpec { Steps = [5, 50] },
            "batches" => new WaveSpec { Batches = [0.5, 0.2, 1] },
            "slice_min_samples" => new WaveSpec { SliceMinSamples = 0 },
            _ => new WaveSpec { Gates = [new GateSpec { Metric = GateMetric.Rmse }] },
        };
        Assert.Contains(spec.Validate(), p => p.StartsWith(field + ":", StringComparison.Ordinal));
    }

    [Fact]
    public void A_gate_that_cannot_be_pooled_is_refused_with_the_poolable_metrics_listed_and_latency_pools()
    {
        var problem = Assert.Single(new WaveSpec { Gates = [new GateSpec { Metric = GateMetric.Rmse }] }.Validate());
        Assert.Equal("gates: RMSE cannot be pooled across slices; wave gates are ErrorRate, Accuracy, Mae, LogLoss, LatencyP50, LatencyP99", problem);
        Assert.Empty(new WaveSpec { Gates = [new GateSpec { Metric = GateMetric.LatencyP99, RelativeMargin = 0.2 }, new GateSpec { Metric = GateMetric.LatencyP50, RelativeMargin = 0.2 }] }.Validate());
    }

    [Fact]
    public void Wave_ids_are_random_or_derived_from_an_idempotency_key_and_parse_back()
    {
        var a = WaveId.New();
        Assert.NotEqual(a, WaveId.New());
        Assert.Matches("^wave-[0-9a-f]{16}$", a.Value);
        Assert.Equal(a, WaveId.Parse(a.ToString()));
        Assert.Equal(WaveId.Of("deploy 42"), WaveId.Of("deploy 42"));
        Assert.NotEqual(WaveId.Of("deploy 42"), WaveId.Of("deploy 43"));
    }

    [Theory]
    [InlineData(null, "a wave id is required")]
    [InlineData("wave-XYZ", "'wave-XYZ' is not a wave id: expected 'wave-' followed by 16 lowercase hex digits")]
    [InlineData("wave-0123456789ABCDEF", "is not a wave id")]
    [InlineData("0123456789abcdef", "is not a wave id")]
    public void Bad_wave_ids_are_refused_with_a_reason(string? text, string expected)
    {
        Assert.False(WaveId.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Throws<FormatException>(() => WaveId.Parse(text ?? ""));
    }

    [Fact]
    public void A_wave_state_survives_a_json_round_trip_as_grain_state_does()
    {
        var state = WaveMachine.Start(WaveId.Of("nightly"), WaveTestData.Slices(3), new WaveSpec { Batches = [0.5, 1] }, WaveTestData.T0).State;
        state = state with { RolledBackSlices = state.RolledBackSlices.Add(state.Slices[1].ToString(), "worse alone") };
        var json = System.Text.Json.JsonSerializer.Serialize(state);
        Assert.Contains($"\"Id\":\"{state.Id}\"", json);
        var back = System.Text.Json.JsonSerializer.Deserialize<WaveState>(json)!;
        Assert.Equal(state.Id, back.Id);
        Assert.Equal(state.Slices, back.Slices);
        Assert.Equal(state.Spec.Batches, back.Spec.Batches);
        Assert.Equal(state.Spec.Gates, back.Spec.Gates);
        Assert.True(back.IsRolledBackAlone(state.Slices[1]));
        Assert.Equal((state.Phase, state.Batch, state.Step, state.StepStartedAt), (back.Phase, back.Batch, back.Step, back.StepStartedAt));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<WaveId>("\"wave-nope\""));
    }
}
