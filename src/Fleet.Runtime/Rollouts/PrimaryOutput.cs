using Fleet.Core.Tensors;

namespace Fleet.Runtime.Rollouts;

/// <summary>The one number of a prediction that gates compare: the first element of the first numeric output.</summary>
internal static class PrimaryOutput
{
    public static double? Of(IReadOnlyList<Tensor> outputs)
    {
        foreach (var tensor in outputs)
        {
            if (tensor.Data.Length == 0)
            {
                continue;
            }

            switch (tensor.DataType)
            {
                case Contracts.Inference.DataTypes.Fp32: return ((float[])tensor.Data)[0];
                case Contracts.Inference.DataTypes.Fp64: return ((double[])tensor.Data)[0];
                case Contracts.Inference.DataTypes.Int64: return ((long[])tensor.Data)[0];
                case Contracts.Inference.DataTypes.Int32: return ((int[])tensor.Data)[0];
                case Contracts.Inference.DataTypes.Bool: return ((bool[])tensor.Data)[0] ? 1 : 0;
            }
        }

        return null;
    }
}
