using System.CommandLine;

namespace Fleet.Cli;

/// <summary>The options every command accepts (before or after the command name).</summary>
internal sealed class GlobalOptions
{
    /// <summary>The server used when neither <c>--server</c> nor FLEET_SERVER says otherwise.</summary>
    public const string DefaultServer = "http://127.0.0.1:5080";

    /// <summary>The environment variable naming the server.</summary>
    public const string ServerVariable = "FLEET_SERVER";

    /// <summary>The environment variable naming the actor.</summary>
    public const string ActorVariable = "FLEET_ACTOR";

    /// <summary>The environment variable holding the API key.</summary>
    public const string ApiKeyVariable = "FLEET_API_KEY";

    /// <summary><c>--server URL</c>: the Fleet server.</summary>
    public Option<string> Server { get; } = new("--server")
    {
        Description = $"The Fleet server's URL (default: ${ServerVariable}, else {DefaultServer})",
        HelpName = "URL",
        Recursive = true,
    };

    /// <summary><c>--json</c>: machine-readable output.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write the server's answer as one JSON document on stdout (deploy --wait: one JSON object per line, the last the result)",
        Recursive = true,
    };

    /// <summary><c>--actor NAME</c>: who makes the change.</summary>
    public Option<string> Actor { get; } = new("--actor")
    {
        Description = $"Who makes the change, kept in the server's history (default: ${ActorVariable}, else $USER@machine)",
        HelpName = "NAME",
        Recursive = true,
    };

    /// <summary><c>--api-key KEY</c>: the API key the server authenticates.</summary>
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"The API key (fk_<id>_<secret>) sent to the server (default: ${ApiKeyVariable})",
        HelpName = "KEY",
        Recursive = true,
    };

    /// <summary>Adds the options to the root command.</summary>
    public void AddTo(RootCommand root)
    {
        root.Add(Server);
        root.Add(Json);
        root.Add(Actor);
        root.Add(ApiKey);
    }

    /// <summary>The API key from the command line or the environment, or null; a usage error when it cannot go in an HTTP header.</summary>
    public string? ResolveApiKey(ParseResult parse, Func<string, string?> environment)
    {
        var key = FirstNonBlank(parse.GetValue(ApiKey), environment(ApiKeyVariable))?.Trim();
        if (key is not null && key.Any(c => c is <= ' ' or > '~'))
        {
            throw new UsageException("the API key must be printable ASCII without spaces (it travels in an HTTP header)");
        }

        return key;
    }

    /// <summary>The server's URL from the command line, the environment or the default; a usage error when it is not an http(s) URL.</summary>
    public Uri ResolveServer(ParseResult parse, Func<string, string?> environment)
    {
        var text = FirstNonBlank(parse.GetValue(Server), environment(ServerVariable)) ?? DefaultServer;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"the server must be an http:// or https:// URL, not '{text}'");
        }

        // HttpClient resolves "api/v1/..." against the base address: without a final '/', a path prefix would be dropped.
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>The actor from the command line, the environment, or $USER@machine; a usage error when it cannot go in an HTTP header.</summary>
    public string ResolveActor(ParseResult parse, Func<string, string?> environment)
    {
        var actor = FirstNonBlank(parse.GetValue(Actor), environment(ActorVariable))
            ?? $"{FirstNonBlank(environment("USER"), environment("USERNAME")) ?? Environment.UserName}@{Environment.MachineName}";
        actor = actor.Trim();
        if (actor.Any(c => c is < ' ' or > '~'))
        {
            throw new UsageException($"the actor '{actor}' must be printable ASCII (it travels in an HTTP header)");
        }

        return actor;
    }

    private static string? FirstNonBlank(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
