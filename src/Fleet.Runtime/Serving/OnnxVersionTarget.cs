using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Onnx;

namespace Fleet.Runtime.Serving;

/// <summary>ONNX versions as prediction targets: the silo's model host leases the version's session and runs it on the caller's thread.</summary>
internal sealed class OnnxVersionTarget(ModelHost host, VersionScores scores) : IPredictionTarget
{
    /// <inheritdoc/>
    public string Kind => RouteTarget.OnnxKind;

    /// <inheritdoc/>
    public ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken)
    {
        if (!trackScore)
        {
            var outputs = host.RunAsync(target.Id, request.Inputs, request.RequestedOutputs, cancellationToken);
            return outputs.IsCompletedSuccessfully
                ? new ValueTask<TargetAnswer>(new TargetAnswer(outputs.Result, null))
                : AwaitAsync(outputs);
        }

        return TrackedAsync(target.Id, slice.Model, request, cancellationToken);
    }

    private static async ValueTask<TargetAnswer> AwaitAsync(ValueTask<IReadOnlyList<Tensor>> outputs) => new(await outputs, null);

    // When the score is tracked, it is computed whatever outputs the caller asked for: a filter must not blind the gates.
    private async ValueTask<TargetAnswer> TrackedAsync(string version, string model, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        var score = await scores.OfAsync(model, version);
        var outputs = await host.RunAsync(version, request.Inputs, VersionScores.WithScore(request.RequestedOutputs, score), cancellationToken);
        return new TargetAnswer(VersionScores.AsRequested(outputs, request.RequestedOutputs), VersionScores.Read(outputs, score), VersionScores.ReadRows(outputs, score));
    }
}
