using System.CommandLine;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet describe MODEL[@SLICE]</c>: the signature a slice serves (inputs, outputs, datatypes, shapes, class labels).</summary>
internal static class DescribeCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name, or MODEL@SLICE, e.g. bike-demand@weekday=6" };
        var slice = new Option<string>("--slice") { Description = "The slice whose stable version to describe (default: the default slice, else one that serves)", HelpName = "KEY" };
        var version = new Option<string>("--version") { Description = "Describe this version instead of the slice's stable one", HelpName = "VERSION" };
        var command = new Command("describe", "Show the signature a model's slice serves: inputs, outputs, datatypes, shapes, class labels")
        {
            model, slice, version,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var (name, key) = PredictCommand.Address(parse.GetRequiredValue(model), parse.GetValue(slice));
            var pinned = parse.GetValue(version);
            var metadata = await session.Client.GetModelMetadataAsync(name, key, pinned, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(metadata);
                return ExitCodes.Success;
            }

            session.Output.WriteLine($"model: {name}");
            if (metadata.Parameters is { } served)
            {
                session.Output.WriteLine($"slice: {served.Slice}");
            }

            session.Output.WriteLine($"version: {pinned ?? metadata.Parameters?.Version ?? "-"}");
            session.Output.WriteLine();
            Table(metadata.Inputs, "INPUT").WriteTo(session.Output);
            session.Output.WriteLine();
            Table(metadata.Outputs, "OUTPUT").WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static TextTable Table(IReadOnlyList<TensorSpec> specs, string kind)
    {
        var classes = specs.Any(s => s.Parameters?.Classes is not null);
        var table = classes ? new TextTable(kind, "DATATYPE", "SHAPE", "CLASSES") : new TextTable(kind, "DATATYPE", "SHAPE");
        foreach (var spec in specs)
        {
            var shape = "[" + string.Join(',', spec.Shape) + "]";
            if (classes)
            {
                table.Add(spec.Name, spec.DataType, shape, spec.Parameters?.Classes is { } labels ? string.Join(", ", labels.Select(l => l.ToString())) : "");
            }
            else
            {
                table.Add(spec.Name, spec.DataType, shape);
            }
        }

        return table;
    }
}
