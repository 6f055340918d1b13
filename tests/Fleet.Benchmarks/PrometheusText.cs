using System.Globalization;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>Reads a Prometheus text exposition (a server's /metrics): each metric's value summed over its label sets.</summary>
internal sealed class PrometheusText
{
    private readonly Dictionary<string, double> _sums = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _series = new(StringComparer.Ordinal);

    private PrometheusText(string text)
    {
        Text = text;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var nameEnd = brace >= 0 && brace < space ? brace : space;
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var rest = brace >= 0 && brace < space ? line[(line.LastIndexOf('}') + 1)..] : line[nameEnd..];
            var token = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (token is null || !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            _sums[name] = _sums.GetValueOrDefault(name) + value;
            _series[name] = _series.GetValueOrDefault(name) + 1;
        }
    }

    public string Text { get; }

    public IEnumerable<string> Names => _sums.Keys;

    public static async Task<PrometheusText> ScrapeAsync(Uri server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) }.Authorize();
        return new PrometheusText(await http.GetStringAsync(new Uri(server, "metrics")));
    }

    /// <summary>The metric summed over its label sets, or NaN when absent.</summary>
    public double Sum(string name) => _sums.TryGetValue(name, out var v) ? v : double.NaN;

    /// <summary>How many label sets the metric has.</summary>
    public int Series(string name) => _series.GetValueOrDefault(name);
}
