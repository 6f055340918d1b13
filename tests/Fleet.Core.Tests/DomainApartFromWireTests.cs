using System.Reflection;
using Fleet.Contracts.Inference;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

/// <summary>The domain does not see the wire: Fleet.Core references no contracts, and the names both publish agree.</summary>
public sealed class DomainApartFromWireTests
{
    [Fact]
    public void Fleet_Core_references_no_wire_contracts()
    {
        var references = typeof(SliceId).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.DoesNotContain("Fleet.Contracts", references);
        Assert.All(references, name => Assert.False(name!.StartsWith("Fleet.", StringComparison.Ordinal), $"Fleet.Core references {name}"));
    }

    [Fact]
    public void The_request_parameter_names_are_the_contracts_names()
    {
        Assert.Equal(InferParameters.Slice, InferParameterNames.Slice);
        Assert.Equal(InferParameters.RoutingKey, InferParameterNames.RoutingKey);
        Assert.Equal(InferParameters.SliceSeparator, InferParameterNames.SliceSeparator);
    }

    [Fact]
    public void The_datatype_names_are_the_contracts_names_one_for_one()
    {
        static IEnumerable<(string, string)> Constants(Type type) => type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (f.Name, (string)f.GetRawConstantValue()!)).OrderBy(p => p.Name, StringComparer.Ordinal);

        Assert.Equal(Constants(typeof(DataTypes)), Constants(typeof(DatatypeNames)));
    }
}
