namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// What candidate and stable did over one step of a rollout, or any window of time in which the traffic split
/// stayed the same. Gates compare the two within each window and then combine the windows, so that a change
/// hitting both versions (an incident upstream, the daily cycle) is not mistaken for the candidate's fault
/// because the candidate had a larger share of traffic while it lasted. A window without stable traffic (a
/// 100% step) adds no evidence to gates against the stable. Distribution gates (KS, PSI) and the paired shadow
/// gates read all windows pooled.
/// </summary>
/// <param name="Candidate">The candidate's observation over the window.</param>
/// <param name="Stable">The stable's observation over the same window.</param>
public sealed record StepObservation(VersionObservation Candidate, VersionObservation Stable);
