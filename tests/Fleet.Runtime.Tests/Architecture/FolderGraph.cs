using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Runtime.Tests.Architecture;

/// <summary>One source file of a project: its path under the project folder ('/'-separated) and its text.</summary>
/// <param name="Path">The path under the project folder, e.g. <c>Slices/SliceGrain.cs</c>.</param>
/// <param name="Text">The file's text.</param>
internal sealed record SourceFile(string Path, string Text);

/// <summary>
/// The folder-to-folder references of one project, read from its source text: a file in folder A that names
/// <c>RootNamespace.B</c> (a using line, a fully qualified name, a cref) makes the arrow A -> B. A folder is the first
/// segment of the path, so <c>Rollouts/Gates</c> belongs to <c>Rollouts</c>.
/// </summary>
internal sealed partial class FolderGraph
{
    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    private FolderGraph(string rootNamespace) => RootNamespace = rootNamespace;

    /// <summary>The project's root namespace (e.g. <c>Fleet.Runtime</c>).</summary>
    public string RootNamespace { get; }

    /// <summary>Every folder with at least one file.</summary>
    public SortedSet<string> Folders { get; } = new(StringComparer.Ordinal);

    /// <summary>The files whose namespace line does not follow their folder, as "path: namespace".</summary>
    public List<string> MisplacedNamespaces { get; } = [];

    /// <summary>Reads the graph of a project from its files.</summary>
    public static FolderGraph Build(string rootNamespace, IEnumerable<SourceFile> files)
    {
        var graph = new FolderGraph(rootNamespace);
        var reference = new Regex(@"\b" + Regex.Escape(rootNamespace) + @"\.([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant);
        foreach (var file in files)
        {
            var segments = file.Path.Split('/');
            var folder = segments.Length > 1 ? segments[0] : "";
            graph.Folders.Add(folder);
            foreach (Match m in reference.Matches(file.Text))
            {
                var target = m.Groups[1].Value;
                if (target != folder)
                {
                    graph.Add(folder, target, file.Path);
                }
            }

            var expected = string.Join('.', new[] { rootNamespace }.Concat(segments[..^1]));
            if (NamespaceLine().Match(file.Text) is { Success: true } ns && ns.Groups[1].Value != expected)
            {
                graph.MisplacedNamespaces.Add($"{file.Path}: {ns.Groups[1].Value} (expected {expected})");
            }
        }

        return graph;
    }

    /// <summary>The folders <paramref name="folder"/> refers to.</summary>
    public IEnumerable<string> Targets(string folder) =>
        _edges.TryGetValue(folder, out var targets) ? targets.Keys.Order(StringComparer.Ordinal) : [];

    /// <summary>The files of <paramref name="from"/> that refer to <paramref name="to"/>.</summary>
    public IReadOnlyCollection<string> FilesOf(string from, string to) =>
        _edges.TryGetValue(from, out var targets) && targets.TryGetValue(to, out var files) ? files : [];

    /// <summary>Every cycle's folders, one per strongly connected set of folders (Tarjan), each listed in cycle order.</summary>
    public List<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Targets(v))
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], seen);
                }
            }

            if (low[v] == index[v])
            {
                var component = new HashSet<string>(StringComparer.Ordinal);
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                if (component.Count > 1)
                {
                    cycles.Add(CycleThrough(v, component));
                }
            }
        }

        foreach (var folder in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(folder))
            {
                Visit(folder);
            }
        }

        return cycles;
    }

    /// <summary>A cycle's arrows, each with the files that make it, for a failure message.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var text = new StringBuilder(string.Join(" -> ", cycle.Append(cycle[0])));
        for (var i = 0; i < cycle.Count; i++)
        {
            var (from, to) = (cycle[i], cycle[(i + 1) % cycle.Count]);
            text.Append($"\n  {from} -> {to}: {string.Join(", ", FilesOf(from, to))}");
        }

        return text.ToString();
    }

    private void Add(string from, string to, string file)
    {
        if (!_edges.TryGetValue(from, out var targets))
        {
            _edges[from] = targets = new(StringComparer.Ordinal);
        }

        if (!targets.TryGetValue(to, out var files))
        {
            targets[to] = files = new(StringComparer.Ordinal);
        }

        files.Add(file);
    }

    // A shortest way from start back to itself inside one strongly connected set (breadth first).
    private List<string> CycleThrough(string start, HashSet<string> component)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var v = queue.Dequeue();
            foreach (var w in Targets(v).Where(component.Contains))
            {
                if (w == start)
                {
                    var path = new List<string> { v };
                    while (path[^1] != start)
                    {
                        path.Add(previous[path[^1]]);
                    }

                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(w, v))
                {
                    queue.Enqueue(w);
                }
            }
        }

        return [.. component.Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"^namespace\s+([A-Za-z0-9_.]+)\s*;", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceLine();
}
