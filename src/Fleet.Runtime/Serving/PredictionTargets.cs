using System.Collections.Frozen;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;

namespace Fleet.Runtime.Serving;

/// <summary>The kinds of prediction target this silo runs, by <see cref="RouteTarget.Kind"/>: where a route's target is predicted with.</summary>
public sealed class PredictionTargets
{
    private readonly FrozenDictionary<string, IPredictionTarget> _byKind;

    /// <summary>Takes one target per kind; two of one kind are refused.</summary>
    public PredictionTargets(IEnumerable<IPredictionTarget> kinds)
    {
        var byKind = new Dictionary<string, IPredictionTarget>(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            if (!byKind.TryAdd(kind.Kind, kind))
            {
                throw new ArgumentException($"two prediction targets of kind '{kind.Kind}': {byKind[kind.Kind].GetType().Name} and {kind.GetType().Name}", nameof(kinds));
            }
        }

        _byKind = byKind.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The kinds this silo runs.</summary>
    public IReadOnlyCollection<string> Kinds => _byKind.Keys;

    /// <summary>Predicts with <paramref name="target"/> through the target of its kind (see <see cref="IPredictionTarget.PredictAsync"/>).</summary>
    public ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken) =>
        _byKind.TryGetValue(target.Kind, out var kind)
            ? kind.PredictAsync(target, slice, request, trackScore, cancellationToken)
            : throw new ModelExecutionException($"'{slice}' is routed to {target}, a kind of target this server does not run");
}
