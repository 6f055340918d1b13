using System.CommandLine;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Inference;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet predict MODEL --slice KEY --input NAME=VALUES ...</c>: one prediction through the OIP API.</summary>
internal static class PredictCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "The slice to predict with, e.g. 'weekday=6' (default: the model's default slice)", HelpName = "KEY" };
        var inputs = new Option<string[]>("--input")
        {
            Description = "An input tensor's values, comma-separated, e.g. x=0.5,1.5 (repeat for several inputs)",
            HelpName = "NAME=VALUES",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var dataTypes = new Option<string[]>("--datatype")
        {
            Description = "An input's OIP datatype, e.g. x=INT64 (default FP32; BYTES when a value is not a number)",
            HelpName = "NAME=TYPE",
            AllowMultipleArgumentsPerToken = false,
        };
        var shapes = new Option<string[]>("--shape")
        {
            Description = "An input's shape, e.g. x=1,2 (default: one row per value, one column)",
            HelpName = "NAME=D1,D2",
            AllowMultipleArgumentsPerToken = false,
        };
        var routingKey = new Option<string>("--routing-key") { Description = "A stable key (user, session) for sticky assignment in rollouts", HelpName = "KEY" };
        var version = new Option<string>("--version") { Description = "Predict with this version instead of the slice's stable one", HelpName = "VERSION" };
        var command = new Command("predict", "Predict with a model's slice")
        {
            model, slice, inputs, dataTypes, shapes, routingKey, version,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var tensors = TensorInputParser.Parse(parse.GetValue(inputs) ?? [], parse.GetValue(dataTypes) ?? [], parse.GetValue(shapes) ?? []);
            var response = await session.Client.PredictAsync(
                parse.GetRequiredValue(model), parse.GetValue(slice), tensors,
                new PredictOptions { RoutingKey = parse.GetValue(routingKey), Version = parse.GetValue(version) }, cancellationToken);
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
