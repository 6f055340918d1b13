using Fleet.Contracts.Management;
using Fleet.Runtime.Health;

namespace Fleet.Runtime.Slices;

/// <summary>One event of the feed at its position.</summary>
/// <param name="Position">Where the event sits in the feed; grows with every event, in commit order.</param>
/// <param name="Event">The event.</param>
public sealed record FeedEntry(long Position, SliceEvent Event);

/// <summary>
/// Every slice's events, in commit order, for readers that follow them all (webhooks). Events enter the feed in the
/// same atomic step as the slice state they explain (<see cref="ISliceStore.SaveAsync"/>), so a reader never sees
/// an event whose state was not stored, nor misses one whose state was. Each reader's position is kept durably here
/// too, so a reader resumes where it stopped.
/// </summary>
public interface IEventFeed : IStoreHealth
{
    /// <summary>At most <paramref name="limit"/> events after <paramref name="position"/> (0 for the start), oldest first.</summary>
    Task<IReadOnlyList<FeedEntry>> ReadAfterAsync(long position, int limit, CancellationToken cancellationToken = default);

    /// <summary>The position of the newest event, or 0 when the feed is empty: where a reader that wants only what comes next starts.</summary>
    Task<long> HeadAsync(CancellationToken cancellationToken = default);

    /// <summary>The position a reader saved last, or 0 when it never saved one.</summary>
    Task<long> ReadPositionAsync(string reader, CancellationToken cancellationToken = default);

    /// <summary>Saves a reader's position, durably.</summary>
    Task SavePositionAsync(string reader, long position, CancellationToken cancellationToken = default);
}
