using System.Globalization;
using System.Net;
using System.Text;

namespace Fleet.Server.Dashboard;

/// <summary>One line of a chart.</summary>
/// <param name="Name">What the line shows (the legend).</param>
/// <param name="CssClass">The class that colours it (<c>candidate</c>, <c>stable</c>, <c>requests</c>, <c>errors</c>).</param>
/// <param name="Points">Its points, in time order.</param>
internal sealed record ChartSeries(string Name, string CssClass, IReadOnlyList<(DateTimeOffset Time, double Value)> Points);

/// <summary>A horizontal line drawn across a chart: a gate's bound.</summary>
internal sealed record ChartBound(string Name, double Value);

/// <summary>Renders time series as an inline SVG with axes, units, a legend and bounds: no script, no external asset.</summary>
internal static class TimeSeriesChart
{
    private const int Left = 64, Right = 16, Top = 24, Bottom = 36;

    /// <summary>The chart's SVG markup (<paramref name="id"/> unique in its page); a chart with no point says so in words.</summary>
    public static string Render(string id, string title, string unit, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartBound> bounds, int width = 560, int height = 220)
    {
        var points = series.SelectMany(s => s.Points).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure class=\"chart\"><svg role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}\">{Encode(title)} ({Encode(unit)}): {Encode(Describe(series, bounds))}</title>");
        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" class=\"empty\">no data yet</text></svg>");
            return svg.Append(CultureInfo.InvariantCulture, $"<figcaption>{Encode(title)}</figcaption></figure>").ToString();
        }

        var values = points.Select(p => p.Value).Concat(bounds.Select(b => b.Value)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (low, high, step) = Scale(values.Min(), values.Max());
        var start = points.Min(p => p.Time);
        var end = points.Max(p => p.Time);
        if (end - start < TimeSpan.FromSeconds(1))
        {
            start -= TimeSpan.FromSeconds(30);
            end += TimeSpan.FromSeconds(30);
        }

        double X(DateTimeOffset t) => Left + (width - Left - Right) * (t - start).TotalSeconds / (end - start).TotalSeconds;
        double Y(double v) => Top + (height - Top - Bottom) * (1 - (Math.Clamp(v, low, high) - low) / (high - low));

        // Axes, with the value ticks and the unit on the left and the times (UTC) below.
        svg.Append(CultureInfo.InvariantCulture, $"<g class=\"axis\"><line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{height - Bottom}\"/><line x1=\"{Left}\" y1=\"{height - Bottom}\" x2=\"{width - Right}\" y2=\"{height - Bottom}\"/>");
        for (var v = low; v <= high + step / 2; v += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{F(Y(v))}\" x2=\"{width - Right}\" y2=\"{F(Y(v))}\"/><text x=\"{Left - 6}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{Encode(Number(v, step))}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{Top - 8}\">{Encode(unit)}</text>");
        for (var i = 0; i <= 3; i++)
        {
            var t = start + (end - start) * (i / 3.0);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(t))}\" y=\"{height - Bottom + 16}\" text-anchor=\"{(i == 0 ? "start" : i == 3 ? "end" : "middle")}\">{t.UtcDateTime:HH:mm:ss}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - Right}\" y=\"{height - 4}\" text-anchor=\"end\">time (UTC)</text></g>");
        foreach (var bound in bounds.Where(b => double.IsFinite(b.Value)))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"bound\"><line x1=\"{Left}\" y1=\"{F(Y(bound.Value))}\" x2=\"{width - Right}\" y2=\"{F(Y(bound.Value))}\"/><text x=\"{width - Right - 4}\" y=\"{F(Y(bound.Value) - 4)}\" text-anchor=\"end\">{Encode(bound.Name)} {Encode(Number(bound.Value, step))}</text></g>");
        }

        var legendX = Left + 8;
        foreach (var line in series)
        {
            var finite = line.Points.Where(p => double.IsFinite(p.Value)).ToList();
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"series {Encode(line.CssClass)}\"><polyline points=\"{string.Join(' ', finite.Select(p => $"{F(X(p.Time))},{F(Y(p.Value))}"))}\"/>");
            foreach (var p in finite)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(p.Time))}\" cy=\"{F(Y(p.Value))}\" r=\"3\"><title>{Encode(line.Name)} {Encode(Number(p.Value, step / 100))} at {p.Time.UtcDateTime:HH:mm:ss}</title></circle>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX}\" y=\"{Top - 18}\" width=\"10\" height=\"10\"/><text x=\"{legendX + 14}\" y=\"{Top - 9}\">{Encode(line.Name)}</text></g>");
            legendX += 24 + 7 * line.Name.Length;
        }

        svg.Append("</svg>");
        return svg.Append(CultureInfo.InvariantCulture, $"<figcaption>{Encode(title)}</figcaption></figure>").ToString();
    }

    /// <summary>The value axis: from a round number at or below the lowest value to one at or above the highest, with its tick step.</summary>
    internal static (double Low, double High, double Step) Scale(double min, double max)
    {
        if (max - min < 1e-12)
        {
            var pad = Math.Abs(min) > 1e-12 ? Math.Abs(min) * 0.1 : 1;
            (min, max) = (min - pad, max + pad);
        }

        var raw = (max - min) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static string Describe(IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartBound> bounds) => string.Join("; ",
        series.Where(s => s.Points.Count > 0).Select(s => $"{s.Name} last {Number(s.Points[^1].Value, 0.0001)}")
            .Concat(bounds.Select(b => $"{b.Name} {Number(b.Value, 0.0001)}")));

    private static string Number(double value, double step)
    {
        var decimals = step >= 1 ? 0 : Math.Min(6, (int)Math.Ceiling(-Math.Log10(step)));
        return value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
