namespace Fleet.Core.Ensembles;

/// <summary>What happened to one member in one request.</summary>
public enum MemberStatus
{
    /// <summary>It answered, and its value was combined.</summary>
    Answered,

    /// <summary>It failed on valid input (the model failed, or its output did not fit the mapping).</summary>
    Failed,

    /// <summary>It did not answer within its timeout.</summary>
    TimedOut,

    /// <summary>Neither its slice nor any fallback slice has a deployment.</summary>
    NotDeployed,

    /// <summary>It refused the caller's input: the request is at fault.</summary>
    Refused,

    /// <summary>The request ended (answered or failed) before it was needed.</summary>
    Skipped,
}

/// <summary>What the ensemble does next, given its members' statuses so far.</summary>
public enum EnsembleVerdict
{
    /// <summary>Members are still running and may change the answer.</summary>
    Wait,

    /// <summary>Answer with the members that answered.</summary>
    Answer,

    /// <summary>Fail the request: the failure policy or the quorum cannot be met.</summary>
    Fail,

    /// <summary>Refuse the request: a member refused the caller's input.</summary>
    Refuse,
}

/// <summary>One member's part in one request: where it went and what came of it.</summary>
/// <param name="Member">The member's id.</param>
/// <param name="Status">What happened.</param>
/// <param name="Slice">The slice that answered (or was tried last), or null for a nested ensemble that did not run.</param>
/// <param name="Version">The version that answered: a model version, or a nested ensemble's definition version.</param>
/// <param name="Reason">Why it did not answer, for every status but <see cref="MemberStatus.Answered"/>.</param>
public sealed record MemberResult(string Member, MemberStatus Status, string? Slice = null, string? Version = null, string? Reason = null);

/// <summary>Which members contributed to one request's answer, which were dropped and why, and the verdict.</summary>
/// <param name="Verdict">Answer, fail or refuse (never wait).</param>
/// <param name="Contributed">The members whose values were combined.</param>
/// <param name="Dropped">The members left out, each with its reason.</param>
/// <param name="Failure">Why the request failed or was refused, naming the members; null when answered.</param>
public sealed record EnsembleOutcome(EnsembleVerdict Verdict, IReadOnlyList<MemberResult> Contributed, IReadOnlyList<MemberResult> Dropped, string? Failure);

/// <summary>The quorum and failure rule: when an ensemble may answer, must fail, or waits for its members.</summary>
public static class EnsemblePolicy
{
    /// <summary>
    /// Decides from each member's status so far (null: still running). A refused input refuses the request; under
    /// <see cref="FailurePolicy.Fail"/> any member lost fails it; under <see cref="FailurePolicy.Drop"/> it fails once the
    /// running and answered members can no longer reach the quorum. It answers when no member runs any more.
    /// </summary>
    public static EnsembleVerdict Decide(EnsembleDefinition definition, ReadOnlySpan<MemberStatus?> statuses)
    {
        int answered = 0, running = 0, lost = 0;
        foreach (var status in statuses)
        {
            switch (status)
            {
                case null:
                    running++;
                    break;
                case MemberStatus.Answered:
                    answered++;
                    break;
                case MemberStatus.Refused:
                    return EnsembleVerdict.Refuse;
                default:
                    lost++;
                    break;
            }
        }

        if ((lost > 0 && definition.OnFailure == FailurePolicy.Fail) || answered + running < definition.Quorum)
        {
            return EnsembleVerdict.Fail;
        }

        return running == 0 ? EnsembleVerdict.Answer : EnsembleVerdict.Wait;
    }

    /// <summary>
    /// The outcome of a request whose members ended as <paramref name="results"/> (in member order; a member still
    /// running when the request ended counts as <see cref="MemberStatus.Skipped"/>).
    /// </summary>
    public static EnsembleOutcome Outcome(EnsembleDefinition definition, IReadOnlyList<MemberResult> results)
    {
        Span<MemberStatus?> statuses = stackalloc MemberStatus?[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            statuses[i] = results[i].Status == MemberStatus.Skipped ? null : results[i].Status;
        }

        var verdict = Decide(definition, statuses);
        var contributed = results.Where(r => r.Status == MemberStatus.Answered).ToList();
        var dropped = results.Where(r => r.Status != MemberStatus.Answered).ToList();
        if (verdict == EnsembleVerdict.Wait)
        {
            // Members still running when the request ended were skipped: the answer stands on those that answered.
            verdict = contributed.Count >= definition.Quorum ? EnsembleVerdict.Answer : EnsembleVerdict.Fail;
        }

        switch (verdict)
        {
            case EnsembleVerdict.Refuse:
                var refused = results.First(r => r.Status == MemberStatus.Refused);
                return new EnsembleOutcome(verdict, [], dropped, $"member '{refused.Member}' refused the input: {refused.Reason}");
            case EnsembleVerdict.Fail:
                var lost = dropped.Where(r => r.Status != MemberStatus.Skipped).ToList();
                var why = lost.Count == 0
                    ? "members were still running"
                    : string.Join("; ", lost.Select(r => $"member '{r.Member}' {EnsembleWireNames.Statuses.Name(r.Status)}: {r.Reason}"));
                var rule = definition.OnFailure == FailurePolicy.Fail
                    ? "on_failure is 'fail'"
                    : $"{contributed.Count} of the quorum of {definition.Quorum} answered";
                return new EnsembleOutcome(verdict, [], dropped, $"{rule}: {why}");
            default:
                return new EnsembleOutcome(verdict, contributed, dropped, null);
        }
    }
}
