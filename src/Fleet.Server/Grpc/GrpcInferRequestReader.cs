using Fleet.Contracts.Inference;
using Fleet.Core.Tensors;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Inference;

namespace Fleet.Server.Grpc;

/// <summary>
/// Maps a gRPC <c>ModelInferRequest</c> straight to the request the prediction path takes (the same one the REST API
/// parses from JSON): typed <c>contents</c> or <c>raw_input_contents</c>, each checked against its input's shape and
/// datatype under <see cref="InferRequestLimits"/>, with messages that name the input.
/// </summary>
internal static class GrpcInferRequestReader
{
    /// <summary>The request parameter asking for outputs as typed <c>contents</c> instead of <c>raw_output_contents</c>.</summary>
    public const string TypedOutputParameter = "typed_output_contents";

    /// <summary>Reads the request; throws <see cref="InferRequestException"/> naming what is wrong.</summary>
    public static ParsedInferRequest Read(ModelInferRequest request, InferRequestLimits limits, out bool typedOutputs)
    {
        string? slice = null, routingKey = null;
        typedOutputs = false;
        foreach (var (name, value) in request.Parameters)
        {
            switch (name)
            {
                case InferParameters.Slice: slice = ScalarText(value, "parameters.slice", limits); break;
                case InferParameters.RoutingKey: routingKey = ScalarText(value, "parameters.routing_key", limits); break;
                case TypedOutputParameter:
                    typedOutputs = value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
                        ? value.BoolParam
                        : throw new InferRequestException($"parameters.{TypedOutputParameter} must be a bool_param");
                    break;
                default:
                    var isDefault = value.ParameterChoiceCase switch
                    {
                        InferParameter.ParameterChoiceOneofCase.Int64Param => value.Int64Param == 0,
                        InferParameter.ParameterChoiceOneofCase.Uint64Param => value.Uint64Param == 0,
                        InferParameter.ParameterChoiceOneofCase.StringParam => value.StringParam is "" or "0",
                        InferParameter.ParameterChoiceOneofCase.BoolParam => !value.BoolParam,
                        _ => true,
                    };
                    if (TritonExtensions.RefuseRequestParameter(name, isDefault) is { } refusal)
                    {
                        throw new InferRequestException(refusal);
                    }

                    break;
            }
        }

        if (request.Inputs.Count == 0)
        {
            throw new InferRequestException("the request has no inputs: give at least one tensor in 'inputs'");
        }

        if (request.Inputs.Count > limits.MaxInputs)
        {
            throw new InferRequestException($"'inputs' has more than {limits.MaxInputs} tensors, the most this server accepts");
        }

        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            throw new InferRequestException(
                $"the request has {raw.Count} raw_input_contents for {request.Inputs.Count} inputs; give one per input, in the order of 'inputs'");
        }

        var inputs = new List<Tensor>(request.Inputs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long elements = 0;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var tensor = ReadInput(request.Inputs[i], i, raw.Count > 0 ? raw[i] : null, limits, limits.MaxElements - elements);
            if (!seen.Add(tensor.Name))
            {
                throw new InferRequestException($"input '{Truncate(tensor.Name)}' is given twice");
            }

            elements += tensor.Data.Length;
            inputs.Add(tensor);
        }

        return new ParsedInferRequest(Empty(request.Id), slice, routingKey, inputs, RequestedOutputs(request.Outputs, limits));
    }

    private static Tensor ReadInput(ModelInferRequest.Types.InferInputTensor input, int index, ByteString? raw, InferRequestLimits limits, long elementsLeft)
    {
        var name = input.Name;
        var label = string.IsNullOrEmpty(name) ? $"inputs[{index}]" : $"input '{Truncate(name)}'";
        if (string.IsNullOrEmpty(name))
        {
            throw new InferRequestException($"{label} has no 'name'");
        }

        if (string.IsNullOrEmpty(input.Datatype))
        {
            throw new InferRequestException($"{label} has no 'datatype'");
        }

        if (Datatypes.Find(input.Datatype) is not { Served: true } datatype)
        {
            throw new InferRequestException(
                $"{label} has datatype '{Truncate(input.Datatype)}', which Fleet does not accept; use one of {string.Join(", ", Datatypes.Served)}");
        }

        if (input.Shape.Count > limits.MaxShapeRank)
        {
            throw new InferRequestException($"{label}: 'shape' has more than {limits.MaxShapeRank} dimensions, the most this server accepts");
        }

        var shape = input.Shape.ToArray();
        if (shape.Any(d => d < 0))
        {
            throw new InferRequestException($"{label}: 'shape' must hold non-negative integers (is [{string.Join(",", shape)}])");
        }

        var count = Tensor.ElementCount(shape);
        if (count < 0)
        {
            throw new InferRequestException($"{label} has shape [{string.Join(",", shape)}], whose element count overflows a 64-bit integer");
        }

        if (count > elementsLeft)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}] with {count} elements; this server accepts at most {limits.MaxElements} elements in one request");
        }

        if (raw is not null)
        {
            if (input.Contents is not null && TypedContents.Count(input.Contents) > 0)
            {
                throw new InferRequestException($"{label} has typed 'contents' although the request uses raw_input_contents; give its data one way");
            }

            return new Tensor(name, datatype.Type, shape, RawTensorCodec.Read(raw.Span, datatype.Type, (int)count, label, limits));
        }

        if (input.Contents is null)
        {
            throw new InferRequestException($"{label} has no 'contents' (and the request has no raw_input_contents)");
        }

        return new Tensor(name, datatype.Type, shape, TypedContents.Read(input.Contents, datatype.Type, (int)count, label, limits));
    }

    private static List<string>? RequestedOutputs(RepeatedField<ModelInferRequest.Types.InferRequestedOutputTensor> outputs, InferRequestLimits limits)
    {
        if (outputs.Count == 0)
        {
            return null;
        }

        if (outputs.Count > limits.MaxOutputs)
        {
            throw new InferRequestException($"'outputs' has more than {limits.MaxOutputs} entries, the most this server accepts");
        }

        var names = new List<string>(outputs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            if (string.IsNullOrEmpty(output.Name))
            {
                throw new InferRequestException("every entry of 'outputs' needs a 'name'");
            }

            if (!seen.Add(output.Name))
            {
                throw new InferRequestException($"output '{Truncate(output.Name)}' is requested twice");
            }

            foreach (var parameter in output.Parameters.Keys)
            {
                if (TritonExtensions.RefuseOutputParameter($"output '{Truncate(output.Name)}'", parameter) is { } refusal)
                {
                    throw new InferRequestException(refusal);
                }
            }

            names.Add(output.Name);
        }

        return names;
    }

    // The REST API takes a slice or routing key given as a string or a number; so does this one.
    private static string ScalarText(InferParameter value, string what, InferRequestLimits limits) => value.ParameterChoiceCase switch
    {
        InferParameter.ParameterChoiceOneofCase.StringParam => value.StringParam.Length <= limits.MaxStringBytes
            ? value.StringParam
            : throw new InferRequestException($"'{what}' is longer than {limits.MaxStringBytes} bytes, the most this server accepts in one string"),
        InferParameter.ParameterChoiceOneofCase.Int64Param => value.Int64Param.ToString(System.Globalization.CultureInfo.InvariantCulture),
        InferParameter.ParameterChoiceOneofCase.Uint64Param => value.Uint64Param.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InferRequestException($"'{what}' must be a string_param"),
    };

    private static string? Empty(string text) => text.Length == 0 ? null : text;

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "...";
}
