using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet backtest MODEL CANDIDATE [--slice KEY | --all-slices] [--since 30d] [--replay]</c>: the candidate scored on
/// logged traffic with outcomes, beside the versions that served it; exit 6 when it would have been worse.
/// </summary>
internal static class BacktestCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var candidate = new Argument<string>("candidate") { Description = "The candidate version (id or unique prefix)" };
        var slice = new Option<string>("--slice") { Description = "One slice (default: every slice, each and pooled)", HelpName = "KEY" };
        var allSlices = new Option<bool>("--all-slices") { Description = "Every slice, each and pooled (the default)" };
        var since = new Option<string>("--since") { Description = "The last days of the log to read, e.g. 30d (default: 30 days, at most the log's retention)", HelpName = "DAYS" };
        var replay = new Option<bool>("--replay") { Description = "Also run every logged row through the candidate and compare its scores with what was served" };
        var command = new Command("backtest", "Score a candidate on logged traffic that has outcomes, beside the versions that served it; exit 6 when it would have been worse")
        {
            model, candidate, slice, allSlices, since, replay,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(slice) is not null && result.GetValue(allSlices))
            {
                result.AddError("give --slice or --all-slices, not both");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var result = await session.Client.BacktestAsync(parse.GetRequiredValue(model), new BacktestRequest
            {
                Candidate = parse.GetRequiredValue(candidate),
                Slice = parse.GetValue(slice),
                AllSlices = parse.GetValue(allSlices) ? true : null,
                Days = parse.GetValue(since) is { } text ? Days(text) : null,
                Replay = parse.GetValue(replay) ? true : null,
            }, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(result);
            }
            else
            {
                await WriteAsync(session.Output, result);
            }

            return result.Verdict == "worse" ? ExitCodes.BacktestWorse : ExitCodes.Success;
        }));
        return command;
    }

    private static async Task WriteAsync(TextWriter output, BacktestResult result)
    {
        await output.WriteLineAsync($"{result.Model}: {result.Message}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"from {result.From:yyyy-MM-dd} ({result.Days} day(s)): {result.LoggedRows:N0} logged rows, {result.Outcomes:N0} outcomes; served by {string.Join(", ", result.ServedVersions.Select(Display.ShortVersion))}"));
        var measure = result.Pooled.Difference.Measure;
        var table = new TextTable("SLICE", "OUTCOMES", $"SERVED {measure.ToUpperInvariant()}", $"CANDIDATE {measure.ToUpperInvariant()}", "DIFFERENCE", "95% CI", "VERDICT");
        foreach (var s in result.Slices.Append(result.Pooled))
        {
            var d = s.Difference;
            table.Add(s.Slice ?? "(pooled)", s.Outcomes.ToString(CultureInfo.InvariantCulture), Value(s.Served, measure), Value(s.Candidate, measure),
                Signed(d.Difference), $"{Signed(d.Low)} to {Signed(d.High)}", d.Verdict);
        }

        table.WriteTo(output);
        if (result.Pooled.Replay is { } replay)
        {
            var labels = replay.LabelDisagreement is { } share ? string.Create(CultureInfo.InvariantCulture, $", labels differ on {share:P1}") : "";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"replay of {replay.Rows:N0} logged rows: scores differ by {replay.MeanAbsoluteDifference:G4} on average (mean {Signed(replay.MeanDifference)}){labels}"));
        }

        foreach (var skipped in result.Skipped)
        {
            await output.WriteLineAsync($"skipped {skipped.Rows:N0} row(s): {skipped.Reason}");
        }
    }

    private static int Days(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        var digits = trimmed.EndsWith('d') ? trimmed[..^1] : trimmed;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days > 0
            ? days
            : throw new UsageException($"--since '{text}' is not a number of days: give e.g. 30d");
    }

    private static string Value(IReadOnlyList<QualityValue> measures, string name) =>
        measures.FirstOrDefault(m => m.Measure == name) is { } m ? m.Value.ToString("G4", CultureInfo.InvariantCulture) : "-";

    private static string Signed(double value) => value.ToString("+0.####;-0.####;0", CultureInfo.InvariantCulture);
}
