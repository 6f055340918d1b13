using Fleet.Core.Identity;
using Fleet.Core.Tensors;

namespace Fleet.Runtime.Drift;

/// <summary>One sampled row of a served request: its slice, the version that answered, when, and its feature values.</summary>
/// <param name="Slice">The slice the request was addressed to.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="At">When it was served.</param>
/// <param name="Numbers">Numeric feature values by feature name.</param>
/// <param name="Labels">Categorical (text) feature values by feature name.</param>
internal sealed record DriftSample(
    SliceId Slice, string Version, DateTimeOffset At, IReadOnlyList<KeyValuePair<string, double>> Numbers, IReadOnlyList<KeyValuePair<string, string?>> Labels)
{
    /// <summary>
    /// The first row of <paramref name="inputs"/> as features: an input one value wide is the feature of its name; a
    /// wider one gives <c>name[j]</c> for its first <paramref name="maxColumns"/> columns. Numbers (NaN as missing) and
    /// text; other types are left out.
    /// </summary>
    public static DriftSample Of(SliceId slice, string version, DateTimeOffset at, IReadOnlyList<Tensor> inputs, int maxColumns)
    {
        var numbers = new List<KeyValuePair<string, double>>();
        var labels = new List<KeyValuePair<string, string?>>();
        foreach (var input in inputs)
        {
            var total = input.Data.Length;
            var rows = input.Shape.Length > 1 && input.Shape[0] > 0 ? input.Shape[0] : 1;
            var width = (int)Math.Min(total / Math.Max(1, rows), maxColumns);
            for (var j = 0; j < width; j++)
            {
                var name = width == 1 && total / Math.Max(1, rows) == 1 ? input.Name : $"{input.Name}[{j}]";
                if (input.Data is string[] texts)
                {
                    labels.Add(new(name, texts[j]));
                }
                else if (input.NumberAt(j) is { } number)
                {
                    numbers.Add(new(name, number));
                }
            }
        }

        return new DriftSample(slice, version, at, numbers, labels);
    }
}
