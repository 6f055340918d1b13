using System.Text.RegularExpressions;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests.Architecture;

/// <summary>Arrows between the folders of Fleet.Runtime and Fleet.Core point one way, and Fleet.Core stays pure.</summary>
public sealed class FolderDirectionTests
{
    [Theory]
    [InlineData("Fleet.Runtime")]
    [InlineData("Fleet.Core")]
    public void Folders_of_a_project_refer_to_each_other_without_a_cycle(string project)
    {
        var graph = FolderGraph.Build(project, Sources(project));

        Assert.True(graph.Folders.Count > 5, $"only {graph.Folders.Count} folders read under src/{project}");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, $"folder cycles in {project}:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Theory]
    [InlineData("Fleet.Runtime")]
    [InlineData("Fleet.Core")]
    public void Namespaces_follow_folders(string project)
    {
        var graph = FolderGraph.Build(project, Sources(project));

        Assert.True(graph.MisplacedNamespaces.Count == 0, "namespaces not following folders:\n" + string.Join("\n", graph.MisplacedNamespaces));
    }

    [Fact]
    public void Core_names_neither_Orleans_nor_SQLite()
    {
        var forbidden = new Regex(@"\b(Orleans\.[A-Z]|using\s+Orleans\b|Microsoft\.Data\.Sqlite|System\.Data\.)", RegexOptions.CultureInvariant);
        var offenders = Sources("Fleet.Core")
            .Select(f => (f.Path, Line: WithoutComments(f.Text).Split('\n').FirstOrDefault(forbidden.IsMatch)))
            .Where(f => f.Line is not null)
            .Select(f => $"{f.Path}: {f.Line!.Trim()}")
            .ToList();
        var project = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "src", "Fleet.Core", "Fleet.Core.csproj"));
        var references = project.Where(line => line.Contains("Reference Include=", StringComparison.Ordinal)).ToList();

        Assert.True(offenders.Count == 0, "Fleet.Core refers to Orleans or SQLite:\n" + string.Join("\n", offenders));
        // The project file was read (Fleet.Core has no references at all since the domain left the wire contracts).
        Assert.Contains(project, line => line.Contains("<Project Sdk=", StringComparison.Ordinal));
        Assert.DoesNotContain(references, line => line.Contains("Orleans", StringComparison.Ordinal) || line.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(references, line => line.Contains("Fleet.Contracts", StringComparison.Ordinal));
    }

    [Fact]
    public void The_checker_finds_a_two_folder_cycle_and_names_its_files()
    {
        var graph = FolderGraph.Build("Acme.App", [
            new("Orders/OrderService.cs", "using Acme.App.Billing;\nnamespace Acme.App.Orders;"),
            new("Billing/Invoice.cs", "namespace Acme.App.Billing;\n/// <see cref=\"Acme.App.Orders.Order\"/>"),
            new("Billing/Tax.cs", "namespace Acme.App.Billing;"),
        ]);

        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["Billing", "Orders"], cycle.Order(StringComparer.Ordinal));
        var message = graph.Describe(cycle);
        Assert.Contains("Orders/OrderService.cs", message, StringComparison.Ordinal);
        Assert.Contains("Billing/Invoice.cs", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Billing/Tax.cs", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_checker_finds_a_longer_cycle_in_its_order_through_fully_qualified_names()
    {
        var graph = FolderGraph.Build("Acme.App", [
            new("A/One.cs", "namespace Acme.App.A; class One { Acme.App.B.Two? x; }"),
            new("B/Two.cs", "namespace Acme.App.B; class Two { Acme.App.C.Three? x; }"),
            new("C/Three.cs", "using Acme.App.A;\nnamespace Acme.App.C;"),
            new("D/Four.cs", "using Acme.App.A;\nnamespace Acme.App.D;"),
        ]);

        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["A", "B", "C"], cycle);
        Assert.Equal("A -> B -> C -> A", graph.Describe(cycle).Split('\n')[0]);
    }

    [Fact]
    public void The_checker_accepts_one_way_arrows_a_new_folder_and_references_inside_a_folder()
    {
        var graph = FolderGraph.Build("Acme.App", [
            new("Hosting/Wiring.cs", "using Acme.App.Orders;\nusing Acme.App.Waves;\nnamespace Acme.App.Hosting;"),
            new("Waves/Wave.cs", "using Acme.App.Orders;\nnamespace Acme.App.Waves;"),
            new("Orders/Order.cs", "using Acme.App.Orders.Lines;\nnamespace Acme.App.Orders;"),
            new("Orders/Lines/Line.cs", "namespace Acme.App.Orders.Lines;"),
        ]);

        Assert.Empty(graph.Cycles());
        Assert.Equal(["Orders", "Waves"], graph.Targets("Hosting"));
        Assert.Empty(graph.Targets("Orders"));
        Assert.Empty(graph.MisplacedNamespaces);
    }

    [Fact]
    public void The_checker_reports_a_namespace_that_does_not_follow_its_folder()
    {
        var graph = FolderGraph.Build("Acme.App", [new("Orders/Lines/Line.cs", "namespace Acme.App.Orders;")]);

        var misplaced = Assert.Single(graph.MisplacedNamespaces);
        Assert.Contains("Orders/Lines/Line.cs", misplaced, StringComparison.Ordinal);
        Assert.Contains("expected Acme.App.Orders.Lines", misplaced, StringComparison.Ordinal);
    }

    private static List<SourceFile> Sources(string project)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "src", project);
        return Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/'))
            .Where(relative => !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(relative => new SourceFile(relative, File.ReadAllText(Path.Combine(folder, relative))))
            .ToList();
    }

    private static string WithoutComments(string text) =>
        string.Join('\n', text.Split('\n').Select(line => line.TrimStart().StartsWith("//", StringComparison.Ordinal) ? "" : line));
}
