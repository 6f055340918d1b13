using System.CommandLine;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Inference;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet predict MODEL[@SLICE] --input NAME=VALUES ... | --rows FILE</c>: one or many rows through the OIP API,
/// each input sent with the datatype and shape of the signature the slice serves.
/// </summary>
internal static class PredictCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name, or MODEL@SLICE, e.g. bike-demand@weekday=6" };
        var slice = new Option<string>("--slice") { Description = "The slice to predict with, e.g. 'weekday=6' (default: the model's default slice)", HelpName = "KEY" };
        var inputs = new Option<string[]>("--input")
        {
            Description = "One row's values of an input, comma-separated, e.g. temp=0.3 (repeat for every input; the served signature gives datatype and shape)",
            HelpName = "NAME=VALUES",
            AllowMultipleArgumentsPerToken = false,
        };
        var rowsFile = new Option<string>("--rows")
        {
            Description = "Many rows from a file: a .json array of objects ([{\"temp\": 0.3, \"hr\": 17}]) or a .csv whose header names the inputs",
            HelpName = "FILE",
        };
        var outputs = new Option<string[]>("--output")
        {
            Description = "Return only this output (repeat for several; default: every output)",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var dataTypes = new Option<string[]>("--datatype")
        {
            Description = "Send an input as this OIP datatype instead of the signature's, e.g. x=INT64",
            HelpName = "NAME=TYPE",
            AllowMultipleArgumentsPerToken = false,
        };
        var shapes = new Option<string[]>("--shape")
        {
            Description = "Send an input with this shape instead of the one the signature implies, e.g. x=1,2",
            HelpName = "NAME=D1,D2",
            AllowMultipleArgumentsPerToken = false,
        };
        var routingKey = new Option<string>("--routing-key") { Description = "A stable key (user, session) for sticky assignment in rollouts", HelpName = "KEY" };
        var version = new Option<string>("--version") { Description = "Predict with this version instead of the slice's stable one", HelpName = "VERSION" };
        var command = new Command("predict", "Predict with a model's slice")
        {
            model, slice, inputs, rowsFile, outputs, dataTypes, shapes, routingKey, version,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var (name, key) = Address(parse.GetRequiredValue(model), parse.GetValue(slice));
            var (given, rows) = Given(parse.GetValue(inputs) ?? [], parse.GetValue(rowsFile));
            var parsed = TensorInputParser.ParseGiven(given, parse.GetValue(dataTypes) ?? [], parse.GetValue(shapes) ?? []);
            var pinned = parse.GetValue(version);
            var signature = await session.Client.GetModelMetadataAsync(name, key, pinned, cancellationToken);
            var tensors = SignatureInputs.Build(parsed, signature.Inputs, rows);
            var wanted = parse.GetValue(outputs) is { Length: > 0 } o ? Outputs(o, signature) : null;
            var response = await session.Client.PredictAsync(
                name, key, tensors,
                new PredictOptions { RoutingKey = parse.GetValue(routingKey), Outputs = wanted, Version = pinned }, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(response);
            }
            else
            {
                Write(session.Output, response);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The model and slice of <c>MODEL[@SLICE]</c> and <c>--slice</c>; a <see cref="UsageException"/> when they disagree.</summary>
    public static (string Model, string? Slice) Address(string model, string? slice)
    {
        var at = model.IndexOf(InferParameters.SliceSeparator, StringComparison.Ordinal);
        if (at < 0)
        {
            return (model, slice);
        }

        var (name, named) = (model[..at], model[(at + 1)..]);
        if (name.Length == 0 || named.Length == 0)
        {
            throw new UsageException($"'{model}' must be MODEL or MODEL@SLICE, e.g. bike-demand@weekday=6");
        }

        return slice is not null && slice != named
            ? throw new UsageException($"'{model}' names slice '{named}' but --slice says '{slice}'; give one")
            : (name, named);
    }

    private static (IReadOnlyList<(string Name, string[] Values)> Given, int? Rows) Given(string[] inputs, string? rowsFile)
    {
        if (rowsFile is not null)
        {
            if (inputs.Length > 0)
            {
                throw new UsageException("give the inputs with --input (one row) or --rows FILE (many rows), not both");
            }

            var (fromFile, rows) = RowsFile.Read(rowsFile);
            return (fromFile, rows);
        }

        return inputs.Length == 0
            ? throw new UsageException("give the inputs with --input NAME=VALUES (one row; repeat for every input) or --rows FILE.json|FILE.csv")
            : (TensorInputParser.ParseValues(inputs), null);
    }

    private static string[] Outputs(string[] wanted, ModelMetadataResponse signature)
    {
        var known = signature.Outputs.Select(o => o.Name).ToArray();
        foreach (var name in wanted.Where(w => !known.Contains(w, StringComparer.Ordinal)))
        {
            var near = SignatureInputs.Nearest(name, known);
            throw new UsageException($"--output: no output '{name}'{(near is null ? "" : $"; did you mean '{near}'?")} (the model has {string.Join(", ", known.Select(k => $"'{k}'"))})");
        }

        return wanted.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static void Write(TextWriter output, InferResponse response)
    {
        output.WriteLine($"model_version: {response.ModelVersion ?? "-"}");
        if (response.Parameters?.TryGetValue(InferParameters.Slice, out var answered) == true && answered.ValueKind == JsonValueKind.String)
        {
            output.WriteLine($"slice: {answered.GetString()}");
        }

        foreach (var o in response.Outputs)
        {
            output.WriteLine($"{o.Name} [{string.Join(',', o.Shape)}] {o.DataType}: {string.Join(", ", Flatten(o.Data))}");
        }
    }

    private static IEnumerable<string> Flatten(JsonElement data) => data.ValueKind switch
    {
        JsonValueKind.Array => data.EnumerateArray().SelectMany(Flatten),
        JsonValueKind.String => [data.GetString() ?? ""],
        _ => [data.GetRawText()],
    };
}
