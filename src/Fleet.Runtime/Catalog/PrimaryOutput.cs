using Fleet.Core.Tensors;

namespace Fleet.Runtime.Catalog;

/// <summary>The one number of a prediction that gates compare: the first element of the first numeric output.</summary>
internal static class PrimaryOutput
{
    /// <summary>The first element of the first numeric output (datatypes as <see cref="Tensor.NumberAt"/> reads them), or null.</summary>
    public static double? Of(IReadOnlyList<Tensor> outputs)
    {
        foreach (var tensor in outputs)
        {
            if (tensor.Data.Length == 0)
            {
                continue;
            }

            if (tensor.NumberAt(0) is { } number)
            {
                return number;
            }
        }

        return null;
    }
}
