using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet versions MODEL [VERSION] [--set-metadata FILE.json]</c>: a model's versions, oldest first; one version in
/// full; or one version's metadata replaced.
/// </summary>
internal static class VersionsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var version = new Argument<string?>("version") { Description = "One version (id or unique prefix of at least 8 hex digits) to show in full", Arity = ArgumentArity.ZeroOrOne };
        var setMetadata = new Option<string>("--set-metadata")
        {
            Description = "Replace the version's metadata with this JSON file (description, tags, training_data, metrics, labels...; recorded in the model's history)",
            HelpName = "FILE.json",
        };
        var command = new Command("versions", "List a model's versions, oldest first; show one; or replace one's metadata") { model, version, setMetadata };
        command.Validators.Add(result =>
        {
            if (result.GetResult(setMetadata) is not null && result.GetValue(version) is null)
            {
                result.AddError("--set-metadata replaces one version's metadata: give the VERSION too (fleet versions MODEL VERSION --set-metadata FILE.json)");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            if (parse.GetValue(version) is { } reference)
            {
                var metadata = parse.GetValue(setMetadata) is { } path ? PushCommand.ReadMetadata(path) : null;
                var info = metadata is null
                    ? await session.Client.GetVersionAsync(name, reference, cancellationToken)
                    : await session.Client.SetVersionMetadataAsync(name, reference, metadata, cancellationToken);
                if (session.Json)
                {
                    session.WriteJson(info);
                    return ExitCodes.Success;
                }

                if (metadata is not null)
                {
                    session.Error.WriteLine($"metadata of version {Display.ShortVersion(info.Version)} of {info.Model} replaced");
                }

                await WriteVersionAsync(session.Output, info);
                return ExitCodes.Success;
            }

            var versions = await session.Client.ListVersionsAsync(name, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(versions);
                return ExitCodes.Success;
            }

            var table = new TextTable("VERSION", "SIZE", "PUSHED_AT", "PUSHED_BY", "SCORE", "TAGS", "DESCRIPTION");
            foreach (var v in versions)
            {
                table.Add(
                    Display.ShortVersion(v.Version), Display.Size(v.SizeBytes), Display.Time(v.PushedAt), Display.OneLine(v.PushedBy), Display.Score(v.Score),
                    v.Metadata?.Tags is { Count: > 0 } tags ? Display.OneLine(string.Join(",", tags)) : "-", Display.OneLine(v.Metadata?.Description));
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }

    // One version in full: what it is, who pushed it, and every metadata field that is set.
    private static async Task WriteVersionAsync(TextWriter output, VersionInfo info)
    {
        var m = info.Metadata ?? new VersionMetadata();
        await output.WriteLineAsync($"version:       {info.Version}");
        await output.WriteLineAsync($"model:         {info.Model}");
        await output.WriteLineAsync($"size:          {Display.Size(info.SizeBytes)}");
        await output.WriteLineAsync($"pushed:        {Display.Time(info.PushedAt)} by {Display.OneLine(info.PushedBy)}");
        if (info.MetadataUpdatedAt is { } updated)
        {
            await output.WriteLineAsync($"metadata set:  {Display.Time(updated)} by {Display.OneLine(info.MetadataUpdatedBy)}");
        }

        await output.WriteLineAsync($"score:         {Display.Score(info.Score)}");
        await WriteIfAsync(output, "description", m.Description is null ? null : Display.OneLine(m.Description));
        await WriteIfAsync(output, "tags", m.Tags is { Count: > 0 } tags ? string.Join(", ", tags) : null);
        await WriteIfAsync(output, "training data", m.TrainingData is null ? null : Display.OneLine(m.TrainingData));
        await WriteIfAsync(output, "trained on", m.TrainingFrom is null && m.TrainingTo is null ? null : $"{Display.Time(m.TrainingFrom)} .. {Display.Time(m.TrainingTo)}");
        await WriteIfAsync(output, "source commit", m.SourceCommit);
        await WriteIfAsync(output, "metrics", m.Metrics is { Count: > 0 } metrics
            ? string.Join(", ", metrics.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value:G6}")))
            : null);
        await WriteIfAsync(output, "labels", m.Labels is { Count: > 0 } labels ? string.Join(", ", labels.Select(p => $"{p.Key}={p.Value}")) : null);
        await output.WriteLineAsync("inputs:");
        foreach (var input in info.Signature.Inputs)
        {
            await output.WriteLineAsync($"  {input.Name} {input.DataType} [{string.Join(",", input.Shape)}]");
        }

        await output.WriteLineAsync("outputs:");
        foreach (var o in info.Signature.Outputs)
        {
            await output.WriteLineAsync($"  {o.Name} {o.DataType} [{string.Join(",", o.Shape)}]");
        }
    }

    private static async Task WriteIfAsync(TextWriter output, string label, string? value)
    {
        if (value is not null)
        {
            await output.WriteLineAsync($"{label + ":",-15}{value}");
        }
    }
}
