using System.Buffers;
using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Core.Ensembles;

/// <summary>
/// Writes an ensemble's OIP V2 response: <c>model_version</c> is the definition version, and <c>parameters</c> say
/// which members contributed (with the slice and version that answered) and which were dropped and why. Parameter
/// values are strings, as strict OIP clients expect.
/// </summary>
public static class EnsembleResponseWriter
{
    /// <summary>The parameter listing the contributing members: <c>member=version@slice</c>, comma-separated.</summary>
    public const string Contributed = "ensemble_contributed";

    /// <summary>The parameter listing the dropped members: <c>member: status: reason</c>, semicolon-separated.</summary>
    public const string Dropped = "ensemble_dropped";

    /// <summary>Writes the response.</summary>
    public static void Write(IBufferWriter<byte> output, string name, string version, string? id, string slice, EnsembleOutcome outcome, IReadOnlyList<Tensor> outputs) =>
        InferResponseWriter.Write(output, name, version, id, slice, outputs, binary: null,
            [new(Contributed, DescribeContributed(outcome)), new(Dropped, DescribeDropped(outcome))]);

    /// <summary>The contributing members as <c>member=version@slice</c>, comma-separated.</summary>
    public static string DescribeContributed(EnsembleOutcome outcome) =>
        string.Join(",", outcome.Contributed.Select(m => $"{m.Member}={m.Version}@{m.Slice}"));

    /// <summary>The dropped members as <c>member: status: reason</c>, semicolon-separated (empty when none).</summary>
    public static string DescribeDropped(EnsembleOutcome outcome)
    {
        var text = new StringBuilder();
        foreach (var m in outcome.Dropped)
        {
            if (text.Length > 0)
            {
                text.Append("; ");
            }

            text.Append(m.Member).Append(": ").Append(EnsembleWireNames.Statuses.Name(m.Status)).Append(": ").Append(m.Reason);
        }

        return text.ToString();
    }
}
