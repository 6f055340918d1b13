using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Client;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet load MODEL[@SLICE] --rows FILE.csv --rate R --seconds S</c>: bounded traffic replayed from a CSV file, so a
/// canary step has requests to judge. Each request carries its own routing key, so the canary share applies.
/// </summary>
internal static class LoadCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model, or one slice of it as MODEL@SLICE (e.g. bike-demand@weekday=6)", HelpName = "MODEL[@SLICE]" };
        var slice = new Option<string>("--slice") { Description = "The slice to send to, e.g. 'weekday=6' (or name it as MODEL@SLICE)", HelpName = "KEY" };
        var rows = new Option<string>("--rows")
        {
            Description = "A CSV file with a header: one column per model input, one request per row (other columns are ignored); the file is replayed in a loop",
            HelpName = "FILE.csv",
            Required = true,
        };
        var rate = new Option<double>("--rate") { Description = "Requests per second (default 20)", HelpName = "R", DefaultValueFactory = _ => 20 };
        var seconds = new Option<double>("--seconds") { Description = "How long to send, in seconds (default 30)", HelpName = "S", DefaultValueFactory = _ => 30 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at most (default 8)", HelpName = "N", DefaultValueFactory = _ => 8 };
        var command = new Command("load", "Send bounded traffic to a model's slice from a CSV file, and print which versions answered")
        {
            model, slice, rows, rate, seconds, concurrency,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var r = parse.GetValue(rate);
            var s = parse.GetValue(seconds);
            var c = parse.GetValue(concurrency);
            if (!(r > 0) || double.IsInfinity(r) || !(s > 0) || double.IsInfinity(s) || c < 1)
            {
                throw new UsageException("--rate and --seconds must be positive numbers, --concurrency a positive integer");
            }

            var target = parse.GetRequiredValue(model);
            var sliceKey = parse.GetValue(slice);
            var metadata = await session.Client.GetModelMetadataAsync(target, sliceKey, cancellationToken: cancellationToken);
            var file = CsvRows.Read(parse.GetRequiredValue(rows), metadata.Inputs, "--rows");
            var summary = await SendAsync(session.Client, target, sliceKey, file, r, TimeSpan.FromSeconds(s), c, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(summary);
            }
            else
            {
                Write(session.Output, summary);
            }

            return summary.Failed == 0 ? ExitCodes.Success : ExitCodes.ServerRefused;
        }));
        return command;
    }

    private static async Task<LoadSummary> SendAsync(
        FleetClient client, string model, string? slice, CsvRows rows, double rate, TimeSpan duration, int concurrency, CancellationToken cancellationToken)
    {
        var byVersion = new Dictionary<string, long>(StringComparer.Ordinal);
        var failed = 0L;
        string? firstError = null;
        var gate = new SemaphoreSlim(concurrency);
        var pending = new List<Task>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        for (long n = 0; ; n++)
        {
            var due = TimeSpan.FromSeconds(n / rate);
            if (due >= duration)
            {
                break;
            }

            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            }

            await gate.WaitAsync(cancellationToken);
            var inputs = rows.Row(n);
            var key = string.Create(CultureInfo.InvariantCulture, $"load-{run}-{n}");
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var answer = await client.PredictAsync(model, slice, inputs, new PredictOptions { RoutingKey = key }, cancellationToken);
                    lock (byVersion)
                    {
                        var version = answer.ModelVersion ?? "-";
                        byVersion[version] = byVersion.GetValueOrDefault(version) + 1;
                    }
                }
                catch (Exception e) when (e is FleetException or HttpRequestException)
                {
                    lock (byVersion)
                    {
                        failed++;
                        firstError ??= e.Message;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, cancellationToken));
            pending.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(pending);
        var sent = byVersion.Values.Sum() + failed;
        return new LoadSummary(sent, failed, Math.Round(clock.Elapsed.TotalSeconds, 1),
            byVersion.OrderByDescending(p => p.Value).Select(p => new LoadVersionCount(p.Key, p.Value)).ToArray(), firstError);
    }

    private static void Write(TextWriter output, LoadSummary summary)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sent {summary.Requests} requests in {summary.Seconds:0.0} s: {summary.Requests - summary.Failed} answered, {summary.Failed} failed"));
        foreach (var version in summary.Versions)
        {
            var share = summary.Requests == 0 ? 0 : 100.0 * version.Requests / summary.Requests;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Display.ShortVersion(version.Version)}  {version.Requests,7}  {share,5:0.0}%"));
        }

        if (summary.FirstError is not null)
        {
            output.WriteLine($"first failure: {summary.FirstError}");
        }
    }

    /// <summary>What a load run did: requests sent and failed, how long it took, and how many each version answered.</summary>
    private sealed record LoadSummary(
        [property: JsonPropertyName("requests")] long Requests,
        [property: JsonPropertyName("failed")] long Failed,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("versions")] IReadOnlyList<LoadVersionCount> Versions,
        [property: JsonPropertyName("first_error")] string? FirstError);

    /// <summary>How many requests one version answered.</summary>
    private sealed record LoadVersionCount(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("requests")] long Requests);
}
