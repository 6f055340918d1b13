using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Waves;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Waves;

/// <summary>
/// The wave grain: stores the <see cref="WaveState"/>, and at each look collects its slices' windows, asks the pure
/// <see cref="WaveJudge"/> and <see cref="WaveMachine"/> what to do, and tells the slices (advance, promote, roll
/// back, alone or together, pause, resume). Decisions stay in the pure layer; this only carries them.
/// </summary>
internal sealed class WaveGrain : Grain, IWaveGrain, IRemindable
{
    private const string Reminder = "wave";
    private const int Parallelism = 64;
    private readonly IWaveStore _store;
    private readonly TimeProvider _clock;
    private readonly FleetMetrics _metrics;
    private string _key = "";
    private string _model = "";
    private WaveRecord? _record;
    private IGrainTimer? _timer;

    public WaveGrain(IWaveStore store, TimeProvider clock, FleetMetrics metrics)
    {
        _store = store;
        _clock = clock;
        _metrics = metrics;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        _model = _key[.._key.LastIndexOf('/')];
        _record = await _store.LoadAsync(_key, cancellationToken);
        if (_record is { State.IsFinished: false } running)
        {
            StartTimer(running.State.Spec.EvaluationInterval);
        }
    }

    public async Task<WaveStatus> Start(WaveStart start)
    {
        if (_record is null)
        {
            var id = WaveId.Parse(_key[(_key.LastIndexOf('/') + 1)..]);
            var decision = WaveMachine.Start(id, [.. start.Slices.Select(k => new SliceId(_model, k))], start.Spec, _clock.GetUtcNow());
            _record = new WaveRecord { Model = _model, Candidate = start.Candidate, StartedBy = start.Actor, State = decision.State };
            _record.SlicesByPhase[WaveStatuses.Canary] = start.Slices.Count;
            await _store.SaveAsync(_key, _record);
            if (decision.State.Spec.Batches.Count > 1)
            {
                // Every slice of a batched wave starts at 0%: the first batch takes the first step now.
                var state = decision.State;
                await OrderSlicesAsync(Batch(state, 0), slice => Order(slice, new WaveCommand(id.Value, WaveOrder.Advance, 0, start.Actor, decision.Message)));
            }

            StartTimer(start.Spec.EvaluationInterval);
            await this.RegisterOrUpdateReminder(Reminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }

        return WaveStatuses.ToStatus(_record);
    }

    public Task<WaveStatus?> GetStatus() => Task.FromResult(_record is null ? null : WaveStatuses.ToStatus(_record));

    public async Task<WaveStatus?> Act(string action, string actor, string? reason)
    {
        if (_record is null)
        {
            return null;
        }

        var now = _clock.GetUtcNow();
        var why = string.IsNullOrWhiteSpace(reason) ? $"by {actor}" : reason!;
        var state = _record.State;
        var decision = action switch
        {
            RolloutActions.Pause => WaveMachine.Pause(state, now, why),
            RolloutActions.Resume => WaveMachine.Resume(state, now, why),
            RolloutActions.Promote => WaveMachine.Promote(state, now, why),
            RolloutActions.Rollback => WaveMachine.Rollback(state, now, why),
            _ => throw new ArgumentException($"unknown wave action '{action}'", nameof(action)),
        };
        if (decision.Action != WaveAction.Hold)
        {
            await ApplyAsync(decision, actor);
        }

        return WaveStatuses.ToStatus(_record);
    }

    public async Task Evaluate()
    {
        if (_record is not { State.IsFinished: false } record)
        {
            await StopAsync();
            return;
        }

        var state = record.State;
        var wave = state.Id.Value;
        var reports = await ForSlicesAsync(state.Slices, slice => slice.GetWaveReport(wave));

        // Slices that ended on their own (a hard failure, or a person acting on the slice alone) leave the wave's judgement.
        for (var i = 0; i < reports.Length; i++)
        {
            var slice = state.Slices[i];
            if (!reports[i].Running && !state.IsRolledBackAlone(slice) && state.Phase is WavePhase.Running or WavePhase.Paused)
            {
                var why = reports[i].Reason ?? "the slice no longer runs the wave's rollout";
                state = state with { RolledBackSlices = state.RolledBackSlices.SetItem(slice.ToString(), $"slice {slice}: {why}") };
            }
        }

        var evidence = reports.Select((r, i) => new SliceEvidence(state.Slices[i], r.Running ? r.Steps : [])).ToList();
        var judgement = WaveJudge.Judge(state, evidence);
        var now = _clock.GetUtcNow();
        var decision = WaveMachine.Evaluate(state, judgement, now);
        record.Gates = [.. judgement.Gates.Select(WaveStatuses.ToStatus)];
        // A step that just changed starts its own window: its estimate comes at the next look.
        (record.StepRequests, record.SecondsToVerdict) = decision.Action == WaveAction.Hold
            ? (judgement.StepRequests, WaveProgress.SecondsToVerdict(decision.State, judgement, now))
            : (0, null);
        record.SlicesByPhase = reports.GroupBy(r => r.Phase ?? "none").ToDictionary(g => g.Key, g => g.Count());
        if (decision.Action == WaveAction.Hold && decision.SliceRollbacks.Count == 0)
        {
            record.State = decision.State;
            record.LastLook = decision.Message;
            await _store.SaveAsync(_key, record);
            return;
        }

        await ApplyAsync(decision, Rollouts.RolloutEngine.Actor);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_record is not { State.IsFinished: false } record)
        {
            await StopAsync();
            return;
        }

        StartTimer(record.State.Spec.EvaluationInterval);
        await Evaluate();
    }

    // Tells the slices what the decision means for each, then stores the wave.
    private async Task ApplyAsync(WaveDecision decision, string actor)
    {
        var record = _record!;
        var state = decision.State;
        var wave = state.Id.Value;
        var alone = decision.SliceRollbacks.ToDictionary(f => f.Slice, f => f.Message);
        await OrderSlicesAsync(state.Slices, slice => alone.TryGetValue(slice, out var why)
            ? Order(slice, new WaveCommand(wave, WaveOrder.RollbackAlone, state.Step, actor, why))
            : null);

        // A step moves the current batch alone (earlier batches stay at 100%, later ones at 0%); a new batch takes its first step.
        var (order, ordered) = decision.Action switch
        {
            WaveAction.Advance or WaveAction.NextBatch => ((WaveOrder?)WaveOrder.Advance, Batch(state, state.Batch)),
            WaveAction.Promote => (WaveOrder.Promote, state.Slices),
            WaveAction.Rollback => (WaveOrder.Rollback, state.Slices),
            WaveAction.Pause => (WaveOrder.Pause, state.Slices),
            WaveAction.Resume => (WaveOrder.Resume, state.Slices),
            _ => (null, []),
        };
        if (order is { } o)
        {
            await OrderSlicesAsync(ordered, slice => state.IsRolledBackAlone(slice) ? null : Order(slice, new WaveCommand(wave, o, state.Step, actor, decision.Message)));
        }

        record.State = state;
        record.LastLook = null;
        if (decision.Action == WaveAction.Pause && actor == Rollouts.RolloutEngine.Actor)
        {
            // A deadline without a verdict: one stall for the wave, an alert for a person.
            _metrics.WaveStalled(_model);
        }

        if (order is WaveOrder.Pause or WaveOrder.Resume)
        {
            // Every slice still in the wave follows a pause or a resume at once: its phase is known without another look.
            record.SlicesByPhase = new() { [order == WaveOrder.Pause ? RolloutPhase.Paused.Name() : WaveStatuses.Canary] = state.Slices.Count - state.RolledBackSlices.Count };
            if (state.RolledBackSlices.Count > 0)
            {
                record.SlicesByPhase[WaveStatuses.RolledBack] = state.RolledBackSlices.Count;
            }
        }
        else if (order is WaveOrder.Promote or WaveOrder.Rollback)
        {
            var kept = state.Slices.Count - state.RolledBackSlices.Count;
            record.SlicesByPhase = order == WaveOrder.Promote
                ? new() { [WaveStatuses.Promoted] = kept, [WaveStatuses.RolledBack] = state.RolledBackSlices.Count }
                : new() { [WaveStatuses.RolledBack] = state.Slices.Count };
        }

        await _store.SaveAsync(_key, record);
        if (state.IsFinished)
        {
            await StopAsync();
        }
    }

    private Task<bool> Order(SliceId slice, WaveCommand command) => GrainFactory.GetGrain<ISliceGrain>(slice.ToString()).FollowWave(command);

    // The slices of one batch, in order.
    private static IReadOnlyList<SliceId> Batch(WaveState state, int batch)
    {
        var (from, to) = state.SlicesOf(batch);
        return [.. state.Slices.Skip(from).Take(to - from)];
    }

    // Calls every slice's grain, a bounded number at a time; results in the order of the slices.
    private async Task<T[]> ForSlicesAsync<T>(IReadOnlyList<SliceId> slices, Func<ISliceGrain, Task<T>> call)
    {
        var results = new List<T>(slices.Count);
        foreach (var chunk in slices.Chunk(Parallelism))
        {
            results.AddRange(await Task.WhenAll(chunk.Select(s => call(GrainFactory.GetGrain<ISliceGrain>(s.ToString())))));
        }

        return [.. results];
    }

    // Sends an order to each slice <paramref name="call"/> gives one for, a bounded number at a time.
    private static async Task OrderSlicesAsync(IReadOnlyList<SliceId> slices, Func<SliceId, Task<bool>?> call)
    {
        foreach (var chunk in slices.Chunk(Parallelism))
        {
            await Task.WhenAll(chunk.Select(call).OfType<Task<bool>>());
        }
    }

    private void StartTimer(TimeSpan interval) =>
        _timer ??= this.RegisterGrainTimer(_ => Evaluate(), new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });

    private async Task StopAsync()
    {
        _timer?.Dispose();
        _timer = null;
        if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
