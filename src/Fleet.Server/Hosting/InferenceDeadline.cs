using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Telemetry;

namespace Fleet.Server.Hosting;

/// <summary>
/// The server's inference timeout, shared by REST and gRPC: a prediction still running at
/// <see cref="ServerOptions.InferenceTimeout"/> is cancelled (the model host stops ONNX Runtime's run) and answered
/// with <see cref="InferenceTimeoutException"/>. A caller that goes away first is not a timeout.
/// </summary>
internal static class InferenceDeadline
{
    /// <summary>Predicts as <see cref="PredictionService.PredictAsync"/> does, within <paramref name="timeout"/>.</summary>
    public static ValueTask<Prediction> PredictAsync(
        PredictionService predictions, FleetMetrics metrics, string name, string? version, ParsedInferRequest request, TimeSpan timeout, CancellationToken callerGone) =>
        RunAsync(token => predictions.PredictAsync(name, version, request, token), metrics, name, request, timeout, callerGone);

    /// <summary>Runs one prediction of <paramref name="name"/> (a model's or an ensemble's) within <paramref name="timeout"/>.</summary>
    public static async ValueTask<T> RunAsync<T>(
        Func<CancellationToken, ValueTask<T>> predict, FleetMetrics metrics, string name, ParsedInferRequest request, TimeSpan timeout, CancellationToken callerGone)
    {
        ArgumentNullException.ThrowIfNull(predict);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(callerGone);
        deadline.CancelAfter(timeout);
        try
        {
            return await predict(deadline.Token);
        }
        catch (OperationCanceledException e) when (!callerGone.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            var model = SliceId.TryResolve(name, request.Slice, out var slice, out _) ? slice.Model : name;
            metrics.TimedOut(model);
            throw new InferenceTimeoutException(
                $"the prediction of '{name}' ran longer than the server's inference timeout of {Describe(timeout)} (Fleet:InferenceTimeout) and was stopped", e);
        }
    }

    private static string Describe(TimeSpan timeout) =>
        timeout.TotalSeconds >= 1 ? $"{timeout.TotalSeconds:0.###} s" : $"{timeout.TotalMilliseconds:0.###} ms";
}
