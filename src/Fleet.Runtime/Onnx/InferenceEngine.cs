using Fleet.Core.Signatures;
using Fleet.Core.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataTypes = Fleet.Contracts.Inference.DataTypes;
using Tensor = Fleet.Core.Tensors.Tensor;

namespace Fleet.Runtime.Onnx;

/// <summary>Runs checked OIP tensors through a loaded model and returns its outputs as typed arrays.</summary>
internal static class InferenceEngine
{
    private static readonly RunOptions SharedRunOptions = new();

    /// <summary>
    /// Runs the model. Caller mistakes (missing or unknown inputs, wrong datatype or shape) throw
    /// <see cref="InferRequestException"/>; a failure inside ONNX Runtime on valid input throws <see cref="ModelExecutionException"/>.
    /// </summary>
    public static IReadOnlyList<Tensor> Run(LoadedModel model, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs)
    {
        var bindings = model.Inputs;
        var ordered = new Tensor[bindings.Count];
        Dictionary<string, long>? symbolic = null;
        for (var i = 0; i < bindings.Count; i++)
        {
            var binding = bindings[i];
            var tensor = Find(inputs, binding.Name)
                ?? throw new InferRequestException(
                    $"input '{binding.Name}' is missing; version {Short(model)} takes {Describe(bindings)}");
            Check(binding, tensor, ref symbolic);
            ordered[i] = tensor;
        }

        CheckBatch(bindings, ordered);

        if (inputs.Count != bindings.Count)
        {
            var unknown = inputs.First(t => !bindings.Any(b => b.Name == t.Name));
            throw new InferRequestException(
                $"input '{unknown.Name}' is not an input of version {Short(model)}, which takes {Describe(bindings)}");
        }

        var outputNames = requestedOutputs ?? model.DefaultOutputs;
        if (requestedOutputs is not null)
        {
            foreach (var name in requestedOutputs)
            {
                var output = model.Outputs.FirstOrDefault(o => o.Name == name)
                    ?? throw new InferRequestException(
                        $"output '{name}' is not an output of version {Short(model)}, which has {string.Join(", ", model.Outputs.Select(o => o.Name))}");
                if (!output.Servable)
                {
                    throw new InferRequestException($"output '{name}' is not a tensor Fleet can return as JSON");
                }
            }
        }

        var values = new OrtValue[ordered.Length];
        var names = new string[ordered.Length];
        try
        {
            for (var i = 0; i < ordered.Length; i++)
            {
                names[i] = bindings[i].Name;
                values[i] = ToOrtValue(ordered[i]);
            }

            using var results = model.Session.Run(SharedRunOptions, names, values, outputNames);
            var outputs = new Tensor[outputNames.Count];
            var index = 0;
            foreach (var value in results)
            {
                outputs[index] = FromOrtValue(outputNames[index], value);
                index++;
            }

            return outputs;
        }
        catch (OnnxRuntimeException e) when (e.Message.StartsWith("[ErrorCode:InvalidArgument]", StringComparison.Ordinal))
        {
            throw new InferRequestException($"version {Short(model)} rejected the input: {e.Message}", e);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelExecutionException($"version {Short(model)} failed in ONNX Runtime: {e.Message}", e);
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
        }
    }

    private static Tensor? Find(IReadOnlyList<Tensor> inputs, string name)
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Name == name)
            {
                return inputs[i];
            }
        }

        return null;
    }

    private static void Check(InputBinding binding, Tensor tensor, ref Dictionary<string, long>? symbolic)
    {
        if (tensor.DataType != binding.DataType)
        {
            throw new InferRequestException($"input '{binding.Name}' must be {binding.DataType}, not {tensor.DataType}");
        }

        var expected = binding.Dimensions;
        if (tensor.Shape.Length != expected.Length)
        {
            throw new InferRequestException(
                $"input '{binding.Name}' must have shape {SignatureComparer.Format(expected)} (rank {expected.Length}), not {SignatureComparer.Format(tensor.Shape)}");
        }

        for (var d = 0; d < expected.Length; d++)
        {
            if (expected[d] >= 0 && expected[d] != tensor.Shape[d])
            {
                throw new InferRequestException(
                    $"input '{binding.Name}' must have shape {SignatureComparer.Format(expected)}, not {SignatureComparer.Format(tensor.Shape)} (dimension {d})");
            }

            var symbol = binding.SymbolicDimensions[d];
            if (expected[d] < 0 && !string.IsNullOrEmpty(symbol))
            {
                symbolic ??= new Dictionary<string, long>(StringComparer.Ordinal);
                if (symbolic.TryGetValue(symbol, out var size) && size != tensor.Shape[d])
                {
                    throw new InferRequestException(
                        $"input '{binding.Name}' has {tensor.Shape[d]} for dimension '{symbol}', but another input has {size}");
                }

                symbolic[symbol] = tensor.Shape[d];
            }
        }
    }

    // Inputs whose first dimension is left open all take it as the batch (ML.NET and skl2onnx exports, one input per
    // column or one feature matrix): rows of different inputs must line up, or ONNX Runtime fails mid-graph with a
    // message about some internal node. Said up front, naming the inputs, it is the caller's mistake it is.
    private static void CheckBatch(IReadOnlyList<InputBinding> bindings, Tensor[] ordered)
    {
        if (ordered.Length < 2 || bindings.Any(b => b.Dimensions.Length == 0 || b.Dimensions[0] >= 0))
        {
            return;
        }

        var first = ordered[0];
        for (var i = 1; i < ordered.Length; i++)
        {
            if (ordered[i].Shape[0] != first.Shape[0])
            {
                throw new InferRequestException(
                    $"inputs '{first.Name}' and '{ordered[i].Name}' have batch sizes {first.Shape[0]} and {ordered[i].Shape[0]}: every input needs one row per prediction");
            }
        }
    }

    // Switch on the datatype, not the array's type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
    private static OrtValue ToOrtValue(Tensor tensor) => tensor.DataType switch
    {
        DataTypes.Fp32 => OrtValue.CreateTensorValueFromMemory((float[])tensor.Data, tensor.Shape),
        DataTypes.Fp64 => OrtValue.CreateTensorValueFromMemory((double[])tensor.Data, tensor.Shape),
        DataTypes.Int64 => OrtValue.CreateTensorValueFromMemory((long[])tensor.Data, tensor.Shape),
        DataTypes.Int32 => OrtValue.CreateTensorValueFromMemory((int[])tensor.Data, tensor.Shape),
        DataTypes.Int16 => OrtValue.CreateTensorValueFromMemory((short[])tensor.Data, tensor.Shape),
        DataTypes.Int8 => OrtValue.CreateTensorValueFromMemory((sbyte[])tensor.Data, tensor.Shape),
        DataTypes.UInt64 => OrtValue.CreateTensorValueFromMemory((ulong[])tensor.Data, tensor.Shape),
        DataTypes.UInt32 => OrtValue.CreateTensorValueFromMemory((uint[])tensor.Data, tensor.Shape),
        DataTypes.UInt16 => OrtValue.CreateTensorValueFromMemory((ushort[])tensor.Data, tensor.Shape),
        DataTypes.UInt8 => OrtValue.CreateTensorValueFromMemory((byte[])tensor.Data, tensor.Shape),
        DataTypes.Bool => OrtValue.CreateTensorValueFromMemory((bool[])tensor.Data, tensor.Shape),
        DataTypes.Bytes => StringTensor((string[])tensor.Data, tensor.Shape),
        _ => throw new InferRequestException($"input '{tensor.Name}' has datatype {tensor.DataType}, which Fleet cannot pass to ONNX Runtime"),
    };

    private static OrtValue StringTensor(string[] data, long[] shape)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        for (var i = 0; i < data.Length; i++)
        {
            value.StringTensorSetElementAt(data[i], i);
        }

        return value;
    }

    private static Tensor FromOrtValue(string name, OrtValue value)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new InferRequestException($"output '{name}' is a {value.OnnxType}, which Fleet cannot return as JSON");
        }

        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        var dataType = OnnxTypes.ToDataType(info.ElementDataType)
            ?? throw new ModelExecutionException($"output '{name}' has element type {info.ElementDataType}, which Fleet cannot serve");
        Array data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
            TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray(),
            TensorElementType.Int16 => value.GetTensorDataAsSpan<short>().ToArray(),
            TensorElementType.Int8 => value.GetTensorDataAsSpan<sbyte>().ToArray(),
            TensorElementType.UInt64 => value.GetTensorDataAsSpan<ulong>().ToArray(),
            TensorElementType.UInt32 => value.GetTensorDataAsSpan<uint>().ToArray(),
            TensorElementType.UInt16 => value.GetTensorDataAsSpan<ushort>().ToArray(),
            TensorElementType.UInt8 => value.GetTensorDataAsSpan<byte>().ToArray(),
            TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray(),
            TensorElementType.String => value.GetStringTensorAsArray(),
            _ => throw new ModelExecutionException($"output '{name}' has element type {info.ElementDataType}, which Fleet cannot serve"),
        };
        return new Tensor(name, dataType, shape, data);
    }

    private static string Describe(IReadOnlyList<InputBinding> bindings) =>
        string.Join(", ", bindings.Select(b => $"'{b.Name}' {b.DataType} {SignatureComparer.Format(b.Dimensions)}"));

    private static string Short(LoadedModel model) => Core.Identity.VersionId.Short(model.Version);
}
