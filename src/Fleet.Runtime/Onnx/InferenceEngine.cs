using Fleet.Core.Signatures;
using Fleet.Core.Tensors;
using Microsoft.ML.OnnxRuntime;
using Tensor = Fleet.Core.Tensors.Tensor;

namespace Fleet.Runtime.Onnx;

/// <summary>Runs checked OIP tensors through a loaded model and returns its outputs as typed arrays.</summary>
internal static class InferenceEngine
{
    private static readonly RunOptions SharedRunOptions = new();

    /// <summary>
    /// Runs the model on the caller's thread. Caller mistakes (missing or unknown inputs, wrong datatype or shape) throw
    /// <see cref="InferRequestException"/>; a failure inside ONNX Runtime on valid input throws <see cref="ModelExecutionException"/>.
    /// </summary>
    public static IReadOnlyList<Tensor> Run(LoadedModel model, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs) =>
        Run(model, inputs, requestedOutputs, SharedRunOptions, CancellationToken.None);

    /// <summary>
    /// Runs the model on the caller's thread, as <see cref="Run(LoadedModel, IReadOnlyList{Tensor}, IReadOnlyList{string}?)"/>,
    /// and stops when <paramref name="cancellationToken"/> fires: before the run starts, or during it (ONNX Runtime's
    /// terminate flag, looked at between the graph's nodes), with <see cref="OperationCanceledException"/>. A run that
    /// finished is returned even when the token fired meanwhile. The session stays usable after a cancelled run. The
    /// returned task has always completed when this returns (a caller fanning out starts each run on its own task).
    /// </summary>
    public static ValueTask<IReadOnlyList<Tensor>> RunAsync(
        LoadedModel model, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyList<Tensor>>(cancellationToken);
        }

        try
        {
            return new ValueTask<IReadOnlyList<Tensor>>(cancellationToken.CanBeCanceled
                ? RunCancellable(model, inputs, requestedOutputs, cancellationToken)
                : Run(model, inputs, requestedOutputs, SharedRunOptions, CancellationToken.None));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<IReadOnlyList<Tensor>>(e);
        }
    }

    private static Tensor[] RunCancellable(
        LoadedModel model, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, CancellationToken cancellationToken)
    {
        var options = TerminableRunOptions.Rent();
        var terminated = false;
        try
        {
            using (cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, options))
            {
                try
                {
                    return Run(model, inputs, requestedOutputs, options, cancellationToken);
                }
                finally
                {
                    terminated = cancellationToken.IsCancellationRequested;
                }
            }
        }
        finally
        {
            // Disposing the registration waited for a callback in flight, so the flag is settled here.
            TerminableRunOptions.Return(options, terminated);
        }
    }

    private static Tensor[] Run(
        LoadedModel model, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, RunOptions runOptions, CancellationToken cancellationToken)
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
                values[i] = OnnxTensors.ToOrtValue(ordered[i]);
            }

            using var results = model.Session.Run(runOptions, names, values, outputNames);
            var outputs = new Tensor[outputNames.Count];
            var index = 0;
            foreach (var value in results)
            {
                outputs[index] = OnnxTensors.FromOrtValue(outputNames[index], value);
                index++;
            }

            return outputs;
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            // The terminate flag stopped the run.
            throw new OperationCanceledException($"version {Short(model)} was stopped: the caller stopped waiting", e, cancellationToken);
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
        if (tensor.Type != binding.Type)
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

    private static string Describe(IReadOnlyList<InputBinding> bindings) =>
        string.Join(", ", bindings.Select(b => $"'{b.Name}' {b.DataType} {SignatureComparer.Format(b.Dimensions)}"));

    private static string Short(LoadedModel model) => Core.Identity.VersionId.Short(model.Version);
}
