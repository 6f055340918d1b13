using System.Collections.Concurrent;
using Fleet.Core.Alarms;
using Fleet.Core.Identity;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Slices;

/// <summary>
/// The open alarms of a monitor (drift, live quality) on this silo, one per model, version and slice (null for the
/// pooled one), stepped look by look: the step decides, the book keeps what it leaves open. Thread-safe.
/// </summary>
/// <typeparam name="TEpisode">The monitor's open episode.</typeparam>
internal sealed class AlarmBook<TEpisode>
    where TEpisode : class
{
    private readonly ConcurrentDictionary<(string Model, string Version, string? Slice), TEpisode> _open = new();

    /// <summary>The open alarms of <paramref name="model"/>, by version, the pooled one first, then by slice.</summary>
    public IEnumerable<(string Version, string? Slice, TEpisode Episode)> Of(string model) =>
        _open.Where(p => p.Key.Model == model)
            .OrderBy(p => p.Key.Version, StringComparer.Ordinal).ThenBy(p => p.Key.Slice is not null).ThenBy(p => p.Key.Slice, StringComparer.Ordinal)
            .Select(p => (p.Key.Version, p.Key.Slice, p.Value));

    /// <summary>Open alarms of one version, pooled and per slice.</summary>
    public int Count(string model, string version) => _open.Keys.Count(k => k.Model == model && k.Version == version);

    /// <summary>Closes an alarm whose version is no longer watched here: the episode it closed, or null when none was open.</summary>
    public TEpisode? Close(string model, string version, string? slice) => _open.TryRemove((model, version, slice), out var closed) ? closed : null;

    /// <summary>
    /// Steps one alarm with <paramref name="step"/> (given the open episode, or null) and keeps the episode it leaves
    /// open; returns the change and the episode it is about (the one open after, or the one it closed).
    /// </summary>
    public (AlarmChange Change, TEpisode? Episode) Step(string model, string version, string? slice, Func<TEpisode?, (TEpisode? Open, AlarmChange Change, TEpisode? Closed)> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var key = (model, version, slice);
        var (open, change, closed) = step(_open.GetValueOrDefault(key));
        if (open is not null)
        {
            _open[key] = open;
        }
        else
        {
            _open.TryRemove(key, out _);
        }

        return (change, open ?? closed);
    }
}

/// <summary>Alarm events added to a slice's history (and so to its webhooks) by the monitors.</summary>
internal static partial class SliceAlarms
{
    /// <summary>
    /// Adds <paramref name="alarm"/> to the history of <paramref name="model"/>'s <paramref name="slice"/>; nothing for the
    /// pooled alarm (null slice: the model's, served by the API and the gauges) or without <paramref name="grains"/>. A
    /// failure is logged, never thrown: a monitor's look goes on.
    /// </summary>
    public static async Task RecordAsync(IGrainFactory? grains, ILogger logger, string model, string? slice, SliceAlarm alarm)
    {
        if (grains is null || slice is null)
        {
            return;
        }

        try
        {
            await grains.GetGrain<ISliceGrain>(new SliceId(model, slice).ToString()).RecordAlarm(alarm);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAlarmNotRecorded(logger, alarm.Type, model, slice, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alarm {Type} of model {Model} slice {Slice} not added to its history: {Reason}")]
    private static partial void LogAlarmNotRecorded(ILogger logger, string type, string model, string slice, string reason);
}
