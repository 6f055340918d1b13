using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Client;

/// <summary>The client's calls that watch models in production: input drift, live quality and backtests.</summary>
public sealed partial class FleetClient
{
    /// <summary>A model's input drift over the last <paramref name="hours"/>, for one slice or every slice pooled (null), on the version served most recently.</summary>
    public Task<DriftStatus> GetDriftAsync(string model, string? slice = null, int hours = 1, CancellationToken cancellationToken = default) =>
        GetAsync<DriftStatus>(
            $"api/v1/models/{Uri.EscapeDataString(model)}/drift?hours={hours}{(slice is null ? "" : "&slice=" + Uri.EscapeDataString(slice))}", cancellationToken);

    /// <summary>
    /// Live quality of <paramref name="model"/> on the server, one slice or pooled, in the last <paramref name="hours"/>
    /// hourly windows (default 24) or the last <paramref name="days"/> daily ones, against its version's baseline.
    /// </summary>
    public Task<QualityStatus> GetQualityAsync(string model, string? slice = null, int? hours = null, int? days = null, string? version = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (slice is not null)
        {
            query.Add("slice=" + Uri.EscapeDataString(slice));
        }

        if (version is not null)
        {
            query.Add("version=" + Uri.EscapeDataString(version));
        }

        if (hours is { } h)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"hours={h}"));
        }

        if (days is { } d)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"days={d}"));
        }

        var path = $"api/v1/models/{Uri.EscapeDataString(model)}/quality";
        return GetAsync<QualityStatus>(query.Count == 0 ? path : path + "?" + string.Join('&', query), cancellationToken);
    }

    /// <summary>Backtests a candidate version of <paramref name="model"/> on the server's logged traffic with outcomes, beside the versions that served it.</summary>
    public Task<BacktestResult> BacktestAsync(string model, BacktestRequest request, CancellationToken cancellationToken = default) =>
        SendJsonAsync<BacktestResult>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/backtests", request, cancellationToken);
}
