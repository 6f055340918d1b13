using System.Collections.Concurrent;
using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Serving;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Each member gets the request's inputs that it takes: an ensemble's inputs are the union of its members', and a
/// version refuses an input it does not know. The input names of a version are read once from its session and kept
/// (versions are immutable).
/// </summary>
internal sealed class MemberInputs(ModelHost host)
{
    private readonly ConcurrentDictionary<string, HashSet<string>> _names = new(StringComparer.Ordinal);

    /// <summary>The inputs of <paramref name="inputs"/> that <paramref name="target"/> takes (all of them for kinds other than ONNX).</summary>
    public ValueTask<IReadOnlyList<Tensor>> SelectAsync(RouteTarget target, IReadOnlyList<Tensor> inputs, CancellationToken cancellationToken)
    {
        if (target.Kind != RouteTarget.OnnxKind)
        {
            return new ValueTask<IReadOnlyList<Tensor>>(inputs);
        }

        return _names.TryGetValue(target.Id, out var names)
            ? new ValueTask<IReadOnlyList<Tensor>>(Select(names, inputs))
            : LoadAndSelectAsync(target.Id, inputs, cancellationToken);
    }

    /// <summary>The input names of an ONNX version, loading it when it is not resident.</summary>
    public async ValueTask<IReadOnlyCollection<string>> NamesAsync(string version, CancellationToken cancellationToken)
    {
        if (_names.TryGetValue(version, out var names))
        {
            return names;
        }

        using var lease = await host.AcquireAsync(version, cancellationToken);
        return _names.GetOrAdd(version, _ => [.. lease.Model.Inputs.Select(i => i.Name)]);
    }

    private async ValueTask<IReadOnlyList<Tensor>> LoadAndSelectAsync(string version, IReadOnlyList<Tensor> inputs, CancellationToken cancellationToken) =>
        Select((HashSet<string>)await NamesAsync(version, cancellationToken), inputs);

    private static IReadOnlyList<Tensor> Select(HashSet<string> names, IReadOnlyList<Tensor> inputs)
    {
        foreach (var input in inputs)
        {
            if (!names.Contains(input.Name))
            {
                return [.. inputs.Where(i => names.Contains(i.Name))];
            }
        }

        // The common case, every input is the member's: no copy.
        return inputs;
    }
}
