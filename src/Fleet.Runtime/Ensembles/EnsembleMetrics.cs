using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Core.Ensembles;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Ensemble metrics on Fleet's meter: requests by outcome and their duration per ensemble, and each member's result by
/// status (answered, failed, timed_out, not_deployed, refused, skipped). Cardinality is bounded: labels are the
/// ensemble, its member ids (at most <see cref="EnsembleDefinition.MaxMembers"/> each) and fixed vocabularies, never slices.
/// </summary>
public sealed class EnsembleMetrics
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _members;

    /// <summary>Creates the instruments on Fleet's meter.</summary>
    public EnsembleMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(FleetMetrics.MeterName);
        _requests = meter.CreateCounter<long>("fleet.ensemble.requests", "{request}", "Ensemble requests, by outcome (answered, failed, refused).");
        _duration = meter.CreateHistogram<double>("fleet.ensemble.duration", "s", "Time to answer one ensemble request, members and combination included.");
        _members = meter.CreateCounter<long>("fleet.ensemble.member.results", "{result}", "Ensemble members' results per request, by status (timed_out and quorum misses included).");
    }

    /// <summary>Records one request of <paramref name="ensemble"/> and what each member did in it.</summary>
    public void Record(string ensemble, EnsembleOutcome outcome, TimeSpan elapsed)
    {
        var verdict = outcome.Verdict switch
        {
            EnsembleVerdict.Answer => "answered",
            EnsembleVerdict.Refuse => "refused",
            _ => "failed",
        };
        _requests.Add(1, new TagList { { "ensemble", ensemble }, { "outcome", verdict } });
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("ensemble", ensemble));
        foreach (var member in outcome.Contributed.Concat(outcome.Dropped))
        {
            _members.Add(1, new TagList { { "ensemble", ensemble }, { "member", member.Member }, { "status", EnsembleWireNames.Statuses.Name(member.Status) } });
        }
    }
}
