using Fleet.Contracts.Management;
using Fleet.Runtime.Health;

namespace Fleet.Runtime.Slices;

/// <summary>A slice's record as stored, with the version that guards the next write.</summary>
/// <param name="Record">The record.</param>
/// <param name="Version">Grows by one at every write.</param>
public sealed record StoredSlice(SliceRecord Record, long Version);

/// <summary>
/// Durable slice records and their histories. A record and the events that explain its change are written in one
/// atomic step, which also appends the events to the <see cref="IEventFeed"/>: no event is lost or written twice,
/// whatever crashes when.
/// </summary>
public interface ISliceStore : IStoreHealth
{
    /// <summary>The slice's record, or null when it was never written.</summary>
    Task<StoredSlice?> LoadAsync(string sliceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the record and appends the events (to the slice's history and to the event feed), atomically, when the
    /// stored version is still <paramref name="expectedVersion"/> (0 for a new slice); returns the new version. Throws
    /// <see cref="Orleans.Storage.InconsistentStateException"/> when another writer came first, and then writes nothing.
    /// </summary>
    Task<long> SaveAsync(string sliceId, SliceRecord record, long expectedVersion, IReadOnlyList<SliceEvent> events);

    /// <summary>The slice's events with a sequence number above <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<SliceEvent>> ReadHistoryAsync(string sliceId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>The latest <paramref name="limit"/> events of every slice of <paramref name="model"/>, in the order they were written, oldest first.</summary>
    Task<IReadOnlyList<SliceEvent>> ReadModelHistoryAsync(string model, int limit, CancellationToken cancellationToken = default);
}
