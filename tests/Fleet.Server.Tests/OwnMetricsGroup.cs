namespace Fleet.Server.Tests;

/// <summary>
/// Test classes that read their own server's Fleet counters from <c>/metrics</c>, run alone: servers in one process
/// share meters by name, so while another test server is up, a scrape can show its instruments instead of this
/// server's (its counts, with an <c>otel_scope_name</c> label), and a thread pool loaded by other classes can fire a
/// short inference timeout late. One server per process, as in production, has neither.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnMetricsGroup
{
    /// <summary>The collection's name.</summary>
    public const string Name = "own metrics";
}
