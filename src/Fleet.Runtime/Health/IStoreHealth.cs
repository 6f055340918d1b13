namespace Fleet.Runtime.Health;

/// <summary>A store that can say, cheaply, whether it answers now: readiness asks every store before it says ready.</summary>
public interface IStoreHealth
{
    /// <summary>What is wrong with the store now, in words an operator can act on; null when it answers.</summary>
    Task<string?> ProbeAsync(CancellationToken cancellationToken = default);
}
