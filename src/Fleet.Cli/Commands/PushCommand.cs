using System.CommandLine;
using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet push MODEL FILE.onnx [--metadata FILE.json]</c>: uploads a version and prints its id.</summary>
internal static class PushCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name ([a-z0-9._-])" };
        var file = new Argument<string>("file") { Description = "The ONNX file to push", HelpName = "FILE.onnx" };
        var metadata = new Option<string>("--metadata") { Description = "A JSON file of version metadata (description, tags, training_data, training_from, training_to, source_commit, labels, metrics)", HelpName = "FILE.json" };
        var reference = new Option<string>("--reference") { Description = "A reference data set (CSV with a header row, or Parquet): a sample of the training data, a column per input feature, that drift judges served inputs against", HelpName = "FILE" };
        var command = new Command("push", "Push an ONNX file as a version of a model; prints the version id (the same bytes always give the same id)")
        {
            model, file, metadata, reference,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"no such file: {path}");
            }

            var meta = parse.GetValue(metadata) is { } metadataPath ? ReadMetadata(metadataPath) : null;
            var progress = session.ProgressFor(new FileInfo(path).Length);
            PushResult result;
            try
            {
                if (parse.GetValue(reference) is { } referencePath)
                {
                    if (!File.Exists(referencePath))
                    {
                        throw new UsageException($"no such file: {referencePath}");
                    }

                    await using var onnx = File.OpenRead(path);
                    await using var data = File.OpenRead(referencePath);
                    result = await session.Client.PushAsync(parse.GetRequiredValue(model), onnx, meta, progress, Path.GetFileName(path), data, Path.GetFileName(referencePath), cancellationToken);
                }
                else
                {
                    result = await session.Client.PushAsync(parse.GetRequiredValue(model), path, meta, progress, cancellationToken);
                }
            }
            finally
            {
                progress?.Finish();
            }

            if (session.Json)
            {
                session.WriteJson(result);
                return ExitCodes.Success;
            }

            var version = result.Version;
            session.Output.WriteLine(version.Version);
            session.Error.WriteLine(result.Created
                ? $"created version {Display.ShortVersion(version.Version)} of {version.Model} ({Display.Size(version.SizeBytes)})"
                : $"exists: version {Display.ShortVersion(version.Version)} of {version.Model} has these bytes already");
            if (!result.Created && meta is not null && !SameMetadata(meta, version.Metadata))
            {
                session.Error.WriteLine($"warning: the metadata given differs from version {Display.ShortVersion(version.Version)}'s, which was kept: pushing the same bytes never changes a version's metadata; to replace it: fleet versions {version.Model} {Display.ShortVersion(version.Version)} --set-metadata FILE.json");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    // Compared as the server would store them: fields the file leaves out are not a difference.
    private static bool SameMetadata(VersionMetadata given, VersionMetadata? kept)
    {
        var keptFields = JsonSerializer.SerializeToElement(kept ?? new VersionMetadata(), CliJson.UserFile);
        foreach (var field in JsonSerializer.SerializeToElement(given, CliJson.UserFile).EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (!keptFields.TryGetProperty(field.Name, out var value) || !JsonElement.DeepEquals(value, field.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads a version metadata file, or throws a <see cref="UsageException"/> naming the file and what is wrong.</summary>
    internal static VersionMetadata ReadMetadata(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no such metadata file: {path}");
        }

        try
        {
            return JsonSerializer.Deserialize<VersionMetadata>(File.ReadAllText(path), CliJson.UserFile)
                ?? throw new UsageException($"the metadata file {path} must hold a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw new UsageException(
                $"the metadata file {path} is not valid version metadata (known fields: description, tags, training_data, training_from, training_to, source_commit, labels, metrics, score_output, score_class): {e.Message}", e);
        }
    }
}
