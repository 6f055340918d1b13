using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Slices;

/// <summary>The slice grain as the host of its rollout engine: the clock, the store, the timer and reminder, the route.</summary>
internal sealed partial class SliceGrain : IRolloutHost
{
    private IGrainTimer? _timer;

    public Task Report(RolloutReport report) => _engine.ReportAsync(report.RolloutId, report.Step, report.Candidate, report.Stable, report.Shadow);

    public async Task<SliceDeployment> Act(RolloutCommand command)
    {
        var decision = await _engine.ActAsync(command.Action, command.Actor, command.Reason);
        return decision switch
        {
            null => new SliceDeployment(_id.Key, DeployOutcomes.Unchanged, _record.StableVersion, "no rollout is running"),
            { Action: RolloutAction.Hold } hold => new SliceDeployment(_id.Key, DeployOutcomes.Unchanged, _record.StableVersion,
                $"rollout {hold.State.Id} is {hold.State.Phase.Name()}", hold.State.Id),
            _ => new SliceDeployment(_id.Key, decision.State.Phase.Name(), _record.StableVersion, decision.Message, decision.State.Id),
        };
    }

    public Task Evaluate() => _engine.LookAsync();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_engine.Running is not { } running)
        {
            // A reminder outliving its rollout (a crash between the two writes): drop it.
            await UnregisterReminderAsync();
            return;
        }

        StartTimer(running.Spec.EvaluationInterval);
        await _engine.LookAsync();
    }

    DateTimeOffset IRolloutHost.Now => _clock.GetUtcNow();

    void IRolloutHost.PromoteCandidate(RolloutState promoted, string deployedBy, string message)
    {
        _record.StableVersion = promoted.Candidate;
        _record.StableSignature = _record.CandidateSignature ?? _record.StableSignature;
        _record.DeployedAt = promoted.EndedAt ?? _clock.GetUtcNow();
        _record.DeployedBy = deployedBy;
        _record.Reason = message;
    }

    Task IRolloutHost.CommitAsync(RolloutRecord? rollout, IReadOnlyList<RolloutEvent> events) => CommitAsync(rollout, events, []);

    async Task IRolloutHost.ScheduleLooksAsync(TimeSpan interval, bool durable)
    {
        StartTimer(interval);
        if (durable)
        {
            await this.RegisterOrUpdateReminder(RolloutReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
    }

    async Task IRolloutHost.StopLooksAsync()
    {
        _timer?.Dispose();
        _timer = null;
        await UnregisterReminderAsync();
    }

    private void StartTimer(TimeSpan interval)
    {
        if (_timer is null)
        {
            _timer = this.RegisterGrainTimer(_ => _engine.LookAsync(), new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
        }
    }

    private async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(RolloutReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
