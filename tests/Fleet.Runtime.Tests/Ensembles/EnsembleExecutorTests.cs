using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Tensors;
using Fleet.Runtime.Ensembles;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Serving;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests.Ensembles;

/// <summary>Ensembles predicting through real ONNX versions on a real model host, with scripted members for timing and failure.</summary>
public sealed class EnsembleExecutorTests : IAsyncLifetime
{
    private static readonly float[] Wa = [0.5f, -1.25f, 2f];
    private static readonly float[] Wb = [-0.3f, 0.8f, 0.1f];
    private static readonly float[] Wc = [1f, 1f, -1f];
    private static readonly float[] Row = [1, 2, 3];
    private static readonly float[] Row2 = [-1, 0.5f, 0.25f];

    private readonly EnsembleTestBed _bed = new();

    private RouteTarget A { get; set; }

    private RouteTarget B { get; set; }

    private RouteTarget C { get; set; }

    private RouteTarget Broken { get; set; }

    public async Task InitializeAsync()
    {
        A = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression(Wa, 0.1f)));
        B = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression(Wb, -0.2f)));
        C = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression(Wc, 0f)));
        Broken = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.FailsAtRuntime(features: 3)));
        _bed.Deploy("a", "default", A);
        _bed.Deploy("b", "default", B);
        _bed.Deploy("c", "default", C);
        _bed.Deploy("broken", "default", Broken);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private static double Sa(float[] row) => OnnxModels.LogisticScore(Wa, 0.1f, row);

    private static double Sb(float[] row) => OnnxModels.LogisticScore(Wb, -0.2f, row);

    private static double Sc(float[] row) => OnnxModels.LogisticScore(Wc, 0f, row);

    private static float[] Values(EnsembleAnswer answer) => (float[])Assert.Single(answer.Outputs).Data;

    private static EnsembleMemberRequest M(string model, int timeoutMs = 5_000) => new() { Model = model, TimeoutMs = timeoutMs };

    private Task<EnsembleAnswer> Predict(string ensemble, string slice = "default", ParsedInferRequest? request = null) =>
        _bed.Executor.PredictAsync(ensemble, slice, request ?? EnsembleTestBed.Request(Row)).AsTask();

    [Fact]
    public async Task A_mean_of_three_real_models_answers_their_mean_and_names_each_version()
    {
        var stored = _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("b"), M("c")] });

        var answer = await Predict("demand");

        Assert.Equal((Sa(Row) + Sb(Row) + Sc(Row)) / 3, Values(answer)[0], 1e-6);
        var output = Assert.Single(answer.Outputs);
        Assert.Equal(("prediction", Datatype.Fp32), (output.Name, output.Type));
        Assert.Equal([1L, 1L], output.Shape);
        Assert.Equal(stored.Version, answer.Version);
        Assert.Equal([("a", A.Id), ("b", B.Id), ("c", C.Id)], answer.Outcome.Contributed.Select(m => (m.Member, m.Version!)));
        Assert.All(answer.Outcome.Contributed, m => Assert.Equal("default", m.Slice));
        Assert.Empty(answer.Outcome.Dropped);
    }

    [Theory]
    [InlineData("weighted_mean")]
    [InlineData("median")]
    public async Task Weighted_mean_and_median_combine_each_row_of_a_batch(string combiner)
    {
        _bed.Save("demand", new EnsembleRequest
        {
            Members = [M("a") with { Weight = 3 }, M("b"), M("c") with { Scale = 2 }],
            Combiner = combiner,
        });

        var answer = await Predict("demand", request: EnsembleTestBed.Request(Row, Row2));

        var values = Values(answer);
        Assert.Equal([2L, 1L], answer.Outputs[0].Shape);
        foreach (var (row, i) in new[] { (Row, 0), (Row2, 1) })
        {
            double[] members = [Sa(row), Sb(row), 2 * Sc(row)];
            var expected = combiner == "median" ? members.Order().ElementAt(1) : ((3 * members[0]) + members[1] + members[2]) / 5;
            Assert.Equal(expected, values[i], 1e-6);
        }
    }

    [Fact]
    public async Task A_member_reads_its_output_element_and_only_the_inputs_it_takes()
    {
        var weather = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression([2f, -1f], 0.5f, input: "v", output: "p")));
        _bed.Deploy("weather", "default", weather);
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("weather") with { Output = "p" }] });
        var request = EnsembleTestBed.Request(Row) with
        {
            Inputs = [.. EnsembleTestBed.Request(Row).Inputs, new Tensor("v", Datatype.Fp32, [1, 2], new float[] { 0.25f, 1 })],
        };

        var answer = await Predict("demand", request: request);

        Assert.Equal((Sa(Row) + OnnxModels.LogisticScore([2f, -1f], 0.5f, [0.25f, 1])) / 2, Values(answer)[0], 1e-6);
    }

    [Fact]
    public async Task Members_use_the_callers_slice_a_pinned_slice_or_their_fallback()
    {
        var storeA = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression(Wa, 1.5f)));
        _bed.Deploy("a", "store=12", storeA);
        _bed.Save("demand", new EnsembleRequest
        {
            Members = [M("a"), M("b") with { Fallback = ["default"] }, M("c") with { Slice = "default" }],
        });

        var answer = await Predict("demand", slice: "store=12");

        Assert.Equal([("a", "store=12", storeA.Id), ("b", "default", B.Id), ("c", "default", C.Id)],
            answer.Outcome.Contributed.Select(m => (m.Member, m.Slice!, m.Version!)));
        Assert.Equal((OnnxModels.LogisticScore(Wa, 1.5f, Row) + Sb(Row) + Sc(Row)) / 3, Values(answer)[0], 1e-6);
        Assert.Equal("store=12", answer.Slice);
    }

    [Fact]
    public async Task A_member_without_a_deployment_fails_the_request_under_fail_with_a_404_naming_it()
    {
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("b")] });
        _bed.Deploy("a", "store=12", A);

        var error = await Assert.ThrowsAsync<NotFoundException>(() => Predict("demand", slice: "store=12"));

        Assert.Contains("member 'b' not_deployed: model 'b' has no deployment for slice 'store=12'", error.Message);
        Assert.Contains("ensemble 'demand' cannot answer for slice 'store=12'", error.Message);
    }

    [Fact]
    public async Task Under_drop_a_failing_real_model_is_dropped_and_the_others_renormalized()
    {
        _bed.Save("demand", new EnsembleRequest
        {
            Members = [M("a") with { Weight = 1 }, M("broken") with { Weight = 5 }, M("b") with { Weight = 3 }],
            Combiner = "weighted_mean",
            Quorum = 2,
            OnFailure = "drop",
        });

        var answer = await Predict("demand");

        Assert.Equal((Sa(Row) + (3 * Sb(Row))) / 4, Values(answer)[0], 1e-6);
        var dropped = Assert.Single(answer.Outcome.Dropped);
        Assert.Equal(("broken", MemberStatus.Failed), (dropped.Member, dropped.Status));
        Assert.False(string.IsNullOrEmpty(dropped.Reason));
        Assert.Equal(["a", "b"], answer.Outcome.Contributed.Select(m => m.Member));
    }

    [Fact]
    public async Task Under_fail_a_failing_real_model_fails_the_request_naming_it()
    {
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("broken")] });

        var error = await Assert.ThrowsAsync<ModelExecutionException>(() => Predict("demand"));

        Assert.StartsWith("ensemble 'demand' failed for slice 'default': on_failure is 'fail': member 'broken' failed:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_that_never_answers_is_dropped_at_its_timeout_and_the_quorum_answers()
    {
        _bed.Deploy("slow", "default", ScriptedMembers.Never);
        _bed.Save("demand", new EnsembleRequest
        {
            Members = [M("a"), M("slow", timeoutMs: 100), M("b")],
            Quorum = 2,
            OnFailure = "drop",
        });

        // The slow member's answer never comes, and it ignores cancellation: the ensemble answers anyway.
        var answer = await Predict("demand");

        Assert.Equal((Sa(Row) + Sb(Row)) / 2, Values(answer)[0], 1e-6);
        var dropped = Assert.Single(answer.Outcome.Dropped);
        Assert.Equal(("slow", MemberStatus.TimedOut, "no answer within 100 ms"), (dropped.Member, dropped.Status, dropped.Reason));
    }

    [Fact]
    public async Task A_timed_out_member_is_told_to_stop()
    {
        _bed.Deploy("held", "default", ScriptedMembers.Hold);
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("held", timeoutMs: 50)], Quorum = 1, OnFailure = "drop" });

        var answer = await Predict("demand");

        Assert.Equal(MemberStatus.TimedOut, Assert.Single(answer.Outcome.Dropped).Status);
        await _bed.Scripted.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Under_fail_a_timeout_fails_the_request()
    {
        _bed.Deploy("slow", "default", ScriptedMembers.Never);
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("slow", timeoutMs: 50)] });

        var error = await Assert.ThrowsAsync<ModelExecutionException>(() => Predict("demand"));

        Assert.Contains("member 'slow' timed_out: no answer within 50 ms", error.Message);
    }

    [Fact]
    public async Task The_callers_cancellation_stops_the_members()
    {
        _bed.Deploy("held", "default", ScriptedMembers.Hold);
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("held", timeoutMs: 60_000)] });
        using var caller = new CancellationTokenSource();

        var prediction = _bed.Executor.PredictAsync("demand", "default", EnsembleTestBed.Request(Row), caller.Token).AsTask();
        // The held member itself must be running: any member's start (member a's, on the caller's thread) is too early.
        await _bed.Scripted.HoldStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prediction);
        await _bed.Scripted.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_member_refusing_the_input_is_a_bad_request_naming_member_and_input()
    {
        var weather = RouteTarget.OnnxVersion(await _bed.StoreAsync(OnnxModels.LogisticRegression([2f, -1f], 0.5f, input: "v")));
        _bed.Deploy("weather", "default", weather);
        _bed.Save("demand", new EnsembleRequest { Members = [M("a"), M("weather")], Quorum = 1, OnFailure = "drop" });

        var error = await Assert.ThrowsAsync<BadRequestException>(() => Predict("demand"));

        Assert.Contains("ensemble 'demand': member 'weather' refused the input:", error.Message);
        Assert.Contains("'v'", error.Message);
    }

    [Fact]
    public async Task A_nested_ensemble_answers_as_one_member_with_its_definition_version()
    {
        var inner = _bed.Save("inner", new EnsembleRequest { Members = [M("a"), M("b")] });
        _bed.Save("outer", new EnsembleRequest { Members = [new() { Ensemble = "inner" }, M("c")], Combiner = "weighted_mean" });

        var answer = await Predict("outer");

        Assert.Equal((((Sa(Row) + Sb(Row)) / 2) + Sc(Row)) / 2, Values(answer)[0], 1e-6);
        Assert.Equal(("inner", inner.Version), (answer.Outcome.Contributed[0].Member, answer.Outcome.Contributed[0].Version!));
    }

    [Fact]
    public async Task A_majority_vote_answers_the_label_with_most_weight()
    {
        _bed.Deploy("one", "default", ScriptedMembers.Label(1));
        _bed.Deploy("seven", "default", ScriptedMembers.Label(7));
        _bed.Deploy("seven-too", "default", ScriptedMembers.Label(7));
        _bed.Save("vote", new EnsembleRequest { Members = [M("one") with { Weight = 1.5 }, M("seven"), M("seven-too")], Combiner = "majority_vote" });

        var answer = await Predict("vote", request: EnsembleTestBed.Request(Row, Row2));

        var output = Assert.Single(answer.Outputs);
        Assert.Equal(Datatype.Int64, output.Type);
        Assert.Equal([7L, 7L], (long[])output.Data);
    }

    [Fact]
    public async Task Stacking_feeds_a_real_meta_model_one_column_per_member()
    {
        var meta = await _bed.StoreAsync(OnnxModels.LogisticRegression([1f, -2f], 0.25f, input: "z"));
        _bed.Save("stacked", new EnsembleRequest { Members = [M("a"), M("b")], Combiner = "stacking", MetaModel = "meta", MetaVersion = meta });

        var answer = await Predict("stacked", request: EnsembleTestBed.Request(Row, Row2));

        var values = Values(answer);
        Assert.Equal(OnnxModels.LogisticScore([1f, -2f], 0.25f, [(float)Sa(Row), (float)Sb(Row)]), values[0], 1e-6);
        Assert.Equal(OnnxModels.LogisticScore([1f, -2f], 0.25f, [(float)Sa(Row2), (float)Sb(Row2)]), values[1], 1e-6);
    }

    [Fact]
    public async Task Requests_and_member_results_are_counted_by_ensemble_member_and_status()
    {
        _bed.Deploy("slow", "default", ScriptedMembers.Never);
        _bed.Save("counted", new EnsembleRequest { Members = [M("a"), M("slow", timeoutMs: 50)], Quorum = 1, OnFailure = "drop" });
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Instrument, string Tags)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("fleet.ensemble.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
            seen.Add((instrument.Name, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        await Predict("counted");

        Assert.Contains(("fleet.ensemble.requests", "ensemble=counted,outcome=answered"), seen);
        Assert.Contains(("fleet.ensemble.member.results", "ensemble=counted,member=a,status=answered"), seen);
        Assert.Contains(("fleet.ensemble.member.results", "ensemble=counted,member=slow,status=timed_out"), seen);
    }

    [Fact]
    public async Task An_unknown_ensemble_is_not_found()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => Predict("ghost"));
        Assert.Equal("ensemble 'ghost' not found", error.Message);
    }
}
