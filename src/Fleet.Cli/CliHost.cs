using System.CommandLine;
using System.Text.Json;
using Fleet.Client;

namespace Fleet.Cli;

/// <summary>What every command shares: the writers, the environment, the global options, and the mapping of failures to exit codes.</summary>
internal sealed class CliHost
{
    /// <summary>Creates the host.</summary>
    public CliHost(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        Output = output;
        Error = error;
        Environment = environment;
    }

    /// <summary>Where results go (stdout).</summary>
    public TextWriter Output { get; }

    /// <summary>Where diagnostics go (stderr).</summary>
    public TextWriter Error { get; }

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> Environment { get; }

    /// <summary>The global options.</summary>
    public GlobalOptions Globals { get; } = new();

    /// <summary>
    /// Wraps a command's body as a System.CommandLine action: opens a <see cref="CommandSession"/>, runs the body, and
    /// turns failures into messages on stderr and exit codes (1 refused, 2 usage, 3 unreachable).
    /// </summary>
    public Func<ParseResult, CancellationToken, Task<int>> Action(Func<CommandSession, ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            CommandSession session;
            try
            {
                session = new CommandSession(
                    Output, Error, parse.GetValue(Globals.Json),
                    Globals.ResolveServer(parse, Environment), Globals.ResolveActor(parse, Environment), Globals.ResolveApiKey(parse, Environment),
                    errorIsConsole: ReferenceEquals(Error, Console.Error) && !Console.IsErrorRedirected);
            }
            catch (UsageException e)
            {
                return Usage(e.Message);
            }

            using (session)
            {
                return await RunAsync(session, parse, body, cancellationToken);
            }
        };

    private async Task<int> RunAsync(
        CommandSession session, ParseResult parse, Func<CommandSession, ParseResult, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(session, parse, cancellationToken);
        }
        catch (UsageException e)
        {
            return Usage(e.Message);
        }
        catch (FleetConflictException e)
        {
            Error.WriteLine($"error: {CliMessages.WithFlagNames(e.Message, parse.RootCommandResult.Command)}");
            foreach (var conflict in e.Conflicts)
            {
                Error.WriteLine($"  {conflict}");
            }

            return ExitCodes.ServerRefused;
        }
        catch (FleetException e)
        {
            Error.WriteLine($"error: {CliMessages.WithFlagNames(e.Message, parse.RootCommandResult.Command)}");
            if (e.StatusCode == System.Net.HttpStatusCode.NotFound && session.Server.AbsolutePath.Trim('/').Length > 0)
            {
                Error.WriteLine($"  {session.LastRequest} answered 404: the server URL is the root of the Fleet server " +
                                $"(e.g. {session.Server.GetLeftPart(UriPartial.Authority)}), without a path such as '{session.Server.AbsolutePath.TrimEnd('/')}'");
            }

            return ExitCodes.ServerRefused;
        }
        catch (HttpRequestException e)
        {
            Error.WriteLine($"error: cannot reach Fleet at {session.Server}: {Describe(e)}");
            return ExitCodes.Unreachable;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (TaskCanceledException e)
        {
            // HttpClient's timeout: the server did not answer in time.
            Error.WriteLine($"error: Fleet at {session.Server} did not answer in time: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (JsonException e)
        {
            Error.WriteLine($"error: the server at {session.Server} answered something that is not Fleet's JSON: {e.Message}");
            return ExitCodes.ServerRefused;
        }
    }

    /// <summary>An exception's message with its causes' (HttpClient's own message is often just "an error occurred").</summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (!messages.Exists(m => m.Contains(current.Message, StringComparison.Ordinal)))
            {
                messages.Add(current.Message);
            }
        }

        return string.Join(": ", messages.Select((m, i) => i < messages.Count - 1 ? m.TrimEnd('.') : m));
    }

    private int Usage(string message)
    {
        Error.WriteLine($"error: {CliMessages.WithoutTypeNames(message)}");
        return ExitCodes.Usage;
    }
}
