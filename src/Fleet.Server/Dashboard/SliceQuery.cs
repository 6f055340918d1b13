using Fleet.Contracts.Management;

namespace Fleet.Server.Dashboard;

/// <summary>How a model page filters, sorts and pages its slices.</summary>
/// <param name="Search">Slice keys containing this text (case-insensitive), or null for all.</param>
/// <param name="Version">Slices whose stable version or candidate starts with this id (or prefix), or null for all.</param>
/// <param name="State">Slices in this state, or null for all.</param>
/// <param name="Sort"><c>attention</c> (the default: most urgent first), <c>slice</c> (by key) or <c>traffic</c> (busiest first).</param>
/// <param name="Offset">How many matching slices the page skips.</param>
/// <param name="PageSize">How many a page shows.</param>
internal sealed record SliceQuery(string? Search, string? Version, SliceState? State, string Sort, int Offset, int PageSize = SliceQuery.DefaultPageSize)
{
    /// <summary>Slices per page unless asked otherwise.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The most slices one page shows.</summary>
    public const int MaxPageSize = 500;

    /// <summary>The sorts a page offers.</summary>
    public static readonly IReadOnlyList<string> Sorts = ["attention", "slice", "traffic"];

    /// <summary>The query of a request's parameters, with bad values replaced by defaults.</summary>
    public static SliceQuery From(string? search, string? version, string? state, string? sort, int? offset, int? pageSize) => new(
        string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        string.IsNullOrWhiteSpace(version) ? null : version.Trim().ToLowerInvariant(),
        SliceStates.Parse(state),
        sort is not null && Sorts.Contains(sort) ? sort : "attention",
        Math.Max(0, offset ?? 0),
        Math.Clamp(pageSize ?? DefaultPageSize, 1, MaxPageSize));

    /// <summary>The query string of this query at another offset (for the page links).</summary>
    public string ToQueryString(int offset)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("q", Search);
        Add("version", Version);
        Add("state", State is { } s ? SliceStates.Name(s) : null);
        Add("sort", Sort == "attention" ? null : Sort);
        Add("offset", offset > 0 ? offset.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        Add("size", PageSize == DefaultPageSize ? null : PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}

/// <summary>One page of a model's slices.</summary>
/// <param name="Query">The query that made it.</param>
/// <param name="Matching">How many slices match the query.</param>
/// <param name="Rows">The page's slices.</param>
internal sealed record SlicePage(SliceQuery Query, int Matching, IReadOnlyList<SliceStatus> Rows);

/// <summary>Filters, sorts and pages slices (pure, so 10,000 slices page the same way in a test as on a server).</summary>
internal static class SlicePaging
{
    /// <summary>The page <paramref name="query"/> asks for among <paramref name="slices"/> at <paramref name="now"/>.</summary>
    public static SlicePage Apply(IReadOnlyList<SliceStatus> slices, SliceQuery query, DateTimeOffset now)
    {
        IEnumerable<SliceStatus> matching = slices;
        if (query.Search is { } search)
        {
            matching = matching.Where(s => s.Slice.Contains(search, StringComparison.OrdinalIgnoreCase));
        }

        if (query.Version is { } version)
        {
            matching = matching.Where(s => (s.StableVersion?.StartsWith(version, StringComparison.Ordinal) ?? false)
                || (SliceStates.IsActive(s.Rollout) && s.Rollout!.Candidate.StartsWith(version, StringComparison.Ordinal)));
        }

        if (query.State is { } state)
        {
            matching = matching.Where(s => SliceStates.Of(s, now) == state);
        }

        IEnumerable<SliceStatus> ordered = query.Sort switch
        {
            "slice" => matching.OrderBy(s => s.Slice, StringComparer.Ordinal),
            "traffic" => matching.OrderByDescending(s => s.Traffic.Requests).ThenBy(s => s.Slice, StringComparer.Ordinal),
            _ => matching.Select(s => (Slice: s, Urgency: SliceStates.Urgency(s, now)))
                .OrderByDescending(p => p.Urgency).ThenBy(p => p.Slice.Slice, StringComparer.Ordinal).Select(p => p.Slice),
        };
        var all = ordered.ToList();
        var offset = Math.Min(query.Offset, Math.Max(0, (all.Count - 1) / query.PageSize * query.PageSize));
        return new SlicePage(query with { Offset = offset }, all.Count, all.Skip(offset).Take(query.PageSize).ToList());
    }
}
