namespace Fleet.Runtime.Slices;

/// <summary>Settings of route subscriptions between slice grains and silo route caches.</summary>
public sealed class RouteOptions
{
    /// <summary>How long a subscription lives without being renewed (default 5 min): a route cache that went away is forgotten after it.</summary>
    public TimeSpan ObserverExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a route cache renews its subscriptions (default 1 min); well inside <see cref="ObserverExpiry"/>.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (ObserverExpiry <= TimeSpan.Zero)
        {
            yield return "Fleet:Routes:ObserverExpiry must be positive";
        }

        if (RenewInterval <= TimeSpan.Zero || RenewInterval >= ObserverExpiry)
        {
            yield return "Fleet:Routes:RenewInterval must be positive and shorter than Fleet:Routes:ObserverExpiry";
        }
    }
}

/// <summary>
/// The subscribers of one grain, after Orleans' ObserverManager: a subscription is renewed by subscribing again, and
/// one that was not renewed within the expiry, or whose call threw, is dropped at the next notification. Without
/// expiry a grain would keep calling every route cache that ever asked, including those of silos long gone.
/// Not thread-safe: the grain calls it one turn at a time.
/// </summary>
/// <typeparam name="T">The observer type.</typeparam>
public sealed class ExpiringObservers<T>
    where T : notnull
{
    private readonly Dictionary<T, DateTimeOffset> _lastSeen = [];
    private readonly TimeProvider _clock;
    private readonly TimeSpan _expiry;

    /// <summary>Observers that live <paramref name="expiry"/> past their last subscription.</summary>
    public ExpiringObservers(TimeProvider clock, TimeSpan expiry)
    {
        _clock = clock;
        _expiry = expiry;
    }

    /// <summary>Observers held (expired ones included until the next notification).</summary>
    public int Count => _lastSeen.Count;

    /// <summary>Adds <paramref name="observer"/>, or renews its subscription.</summary>
    public void Subscribe(T observer) => _lastSeen[observer] = _clock.GetUtcNow();

    /// <summary>Calls every live observer, dropping those that expired or whose call threw.</summary>
    public void Notify(Action<T> notify)
    {
        var now = _clock.GetUtcNow();
        List<T>? dropped = null;
        foreach (var (observer, lastSeen) in _lastSeen)
        {
            if (now - lastSeen > _expiry)
            {
                (dropped ??= []).Add(observer);
                continue;
            }

            try
            {
                notify(observer);
            }
            catch (Exception)
            {
                // A reference that cannot even be called (its client is gone): it would fail every time.
                (dropped ??= []).Add(observer);
            }
        }

        foreach (var observer in dropped ?? [])
        {
            _lastSeen.Remove(observer);
        }
    }
}
