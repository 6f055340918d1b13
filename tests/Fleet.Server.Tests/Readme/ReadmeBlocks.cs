using System.Text.RegularExpressions;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Readme;

/// <summary>The README's marked blocks: a fenced code block right after <c>&lt;!-- readme-walk: NAME --&gt;</c>.</summary>
internal static partial class ReadmeBlocks
{
    /// <summary>The README's path.</summary>
    public static string Path { get; } = System.IO.Path.Combine(RepositoryPaths.Root, "README.md");

    /// <summary>The text of the block marked <paramref name="name"/>; fails naming the marker when there is none.</summary>
    public static string Text(string name)
    {
        var readme = File.ReadAllText(Path).ReplaceLineEndings("\n");
        var match = Regex.Match(readme, $@"<!-- readme-walk: {Regex.Escape(name)} -->\n```[a-z]*\n(?<body>.*?)\n```", RegexOptions.Singleline);
        Assert.True(match.Success, $"README.md has no block marked '<!-- readme-walk: {name} -->' followed by a fenced code block");
        return match.Groups["body"].Value;
    }

    /// <summary>The shell commands of the block marked <paramref name="name"/>: continuation lines joined, blank lines dropped.</summary>
    public static IReadOnlyList<ShellLine> Commands(string name)
    {
        var commands = new List<ShellLine>();
        var pending = "";
        foreach (var line in Text(name).Split('\n'))
        {
            if (line.TrimEnd().EndsWith('\\'))
            {
                pending += line.TrimEnd()[..^1];
                continue;
            }

            var command = (pending + line).Trim();
            pending = "";
            if (command.Length > 0 && !command.StartsWith('#'))
            {
                commands.Add(ShellLine.From(command));
            }
        }

        return commands;
    }

    [GeneratedRegex(@"#\s*exit (?<code>\d+)\s*$")]
    internal static partial Regex ExitComment();
}

/// <summary>One command of a README block: its text, the exit code a trailing <c># exit N</c> comment expects (else 0), and whether it runs in the background.</summary>
internal sealed record ShellLine(string Command, int ExpectedExit, bool Background)
{
    /// <summary>Reads a joined command line.</summary>
    public static ShellLine From(string command)
    {
        var exit = ReadmeBlocks.ExitComment().Match(command);
        var code = exit.Success ? int.Parse(exit.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var withoutComment = exit.Success ? command[..exit.Index].TrimEnd() : command;
        return new ShellLine(command, code, withoutComment.EndsWith('&'));
    }
}
