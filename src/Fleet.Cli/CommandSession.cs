using Fleet.Client;

namespace Fleet.Cli;

/// <summary>What one command invocation works with: the writers, the output mode and a client of the server.</summary>
internal sealed class CommandSession : IDisposable
{
    /// <summary>Creates the session; the client is made for <paramref name="server"/> with <paramref name="actor"/> and <paramref name="apiKey"/>.</summary>
    public CommandSession(TextWriter output, TextWriter error, bool json, Uri server, string actor, string? apiKey, bool errorIsConsole)
    {
        Output = output;
        Error = error;
        Json = json;
        Server = server;
        ErrorIsConsole = errorIsConsole;
        _requests = new RequestRecorder(new SocketsHttpHandler());
        _http = new HttpClient(_requests) { BaseAddress = server, Timeout = TimeSpan.FromMinutes(30) };
        Client = new FleetClient(_http) { Actor = actor, ApiKey = apiKey };
    }

    private readonly RequestRecorder _requests;
    private readonly HttpClient _http;

    /// <summary>The method and URL of the last request sent, for messages that must say which URL answered.</summary>
    public string LastRequest => _requests.Last ?? Server.ToString();

    /// <summary>Where results go (stdout).</summary>
    public TextWriter Output { get; }

    /// <summary>Where diagnostics and progress go (stderr).</summary>
    public TextWriter Error { get; }

    /// <summary>Whether results are written as JSON.</summary>
    public bool Json { get; }

    /// <summary>The server's URL.</summary>
    public Uri Server { get; }

    /// <summary>The client of the server.</summary>
    public FleetClient Client { get; }

    /// <summary>Whether <see cref="Error"/> is the process's own, non-redirected stderr (a terminal that can show progress).</summary>
    public bool ErrorIsConsole { get; }

    /// <summary>A progress reporter for an upload of <paramref name="bytes"/>, or null when progress would not help or not be seen.</summary>
    public UploadProgress? ProgressFor(long bytes) =>
        ErrorIsConsole && bytes > UploadProgress.Threshold ? new UploadProgress(Error, bytes) : null;

    /// <summary>Writes <paramref name="value"/> as one JSON document on stdout.</summary>
    public void WriteJson<T>(T value) => CliJson.Write(Output, value);

    /// <inheritdoc />
    public void Dispose()
    {
        Client.Dispose();
        _http.Dispose();
    }

    /// <summary>Remembers the last request's method and URL.</summary>
    private sealed class RequestRecorder(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public string? Last { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = $"{request.Method} {request.RequestUri}";
            return base.SendAsync(request, cancellationToken);
        }
    }
}
