using Fleet.Contracts.Management;
using Fleet.Core.Signatures;

namespace Fleet.Runtime.Catalog;

/// <summary>Signatures between the domain's form (<see cref="VersionSignature"/>) and the wire's (<see cref="ModelSignature"/>), both ways.</summary>
public static class SignatureContracts
{
    /// <summary>The domain's form of a signature read from the wire or from a stored version.</summary>
    public static VersionSignature ToDomain(this ModelSignature signature) =>
        new([.. signature.Inputs.Select(ToDomain)], [.. signature.Outputs.Select(ToDomain)]);

    /// <summary>The wire's form of a signature.</summary>
    public static ModelSignature ToContract(this VersionSignature signature) =>
        new([.. signature.Inputs.Select(ToContract)], [.. signature.Outputs.Select(ToContract)]);

    /// <summary>The domain's form of one tensor.</summary>
    public static TensorSignature ToDomain(this TensorSpec tensor) => new(tensor.Name, tensor.DataType, tensor.Shape)
    {
        Parameters = tensor.Parameters is { } p ? new Core.Signatures.TensorParameters { Classes = p.Classes } : null,
    };

    /// <summary>The wire's form of one tensor.</summary>
    public static TensorSpec ToContract(this TensorSignature tensor) => new(tensor.Name, tensor.DataType, tensor.Shape)
    {
        Parameters = tensor.Parameters is { } p ? new Contracts.Management.TensorParameters { Classes = p.Classes } : null,
    };
}
