using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fleet.Server.Hosting;

/// <summary>The server cannot start as configured; the message is for the person who started it, one line per problem.</summary>
public sealed class StartupProblemException : Exception
{
    /// <summary>Creates the exception from its problems.</summary>
    public StartupProblemException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception from one problem.</summary>
    public StartupProblemException(string problem)
        : this([problem])
    {
    }

    /// <summary>Creates the exception with no problem named.</summary>
    public StartupProblemException()
        : this("the server cannot start")
    {
    }

    /// <summary>Creates the exception from one problem and its cause.</summary>
    public StartupProblemException(string problem, Exception innerException)
        : base(problem, innerException)
    {
        Problems = [problem];
    }

    /// <summary>The problems, each naming the setting or resource at fault.</summary>
    public IReadOnlyList<string> Problems { get; } = [];
}

/// <summary>
/// Checks the <c>Fleet:</c> configuration against <see cref="SettingsCatalog"/> before anything starts: a value of the
/// wrong type or out of range is a problem (start-up fails naming the key), an unknown key is a warning naming the
/// nearest known key.
/// </summary>
public static class StartupCheck
{
    /// <summary>The process exit code of a start that failed on its configuration or on a port in use.</summary>
    public const int ExitCode = 2;

    /// <summary>
    /// The lines that explain a start-up failure caused by the configuration or the machine (a bad setting, a port in
    /// use), or null for any other failure, which keeps its stack trace.
    /// </summary>
    public static IReadOnlyList<string>? Explain(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StartupProblemException problem:
                    return problem.Problems;
                case Microsoft.Extensions.Options.OptionsValidationException invalid:
                    return [.. invalid.Failures];
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                case IOException when e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase):
                    return [$"a port is in use by another process: {e.Message}"];
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    return Explain(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>The problems and warnings of <paramref name="configuration"/>'s <c>Fleet</c> section.</summary>
    public static (IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings) Check(IConfiguration configuration)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        foreach (var (key, value) in configuration.GetSection("Fleet").AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (value is null)
            {
                continue;
            }

            if (SettingsCatalog.Find(key) is not { } setting)
            {
                warnings.Add($"unknown setting {key} (ignored); did you mean {SettingsCatalog.Nearest(key)}?");
            }
            else if (!Converts(value, setting.ValueType))
            {
                problems.Add($"{key} must be {SettingsReference.TypeName(setting.ValueType, withArticle: true)} (is '{value}')");
            }
        }

        if (problems.Count > 0)
        {
            return (problems, warnings);
        }

        foreach (var section in SettingsCatalog.Sections.Where(s => s.Problems is not null))
        {
            var options = configuration.GetSection(section.Section).Get(section.Options) ?? Activator.CreateInstance(section.Options)!;
            problems.AddRange(section.Problems!(options));
        }

        return (problems.Distinct().ToList(), warnings);
    }

    /// <summary>Fails when a TCP port the server must listen on is taken, naming the port and the setting that chose it.</summary>
    public static void EnsurePortFree(IPAddress address, int port, string what)
    {
        if (port == 0)
        {
            return;
        }

        try
        {
            using var listener = Probe(address, port);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new StartupProblemException($"port {port} is in use by another process: {what}");
        }
    }

    /// <summary>
    /// A TCP port on the loopback address that is free now and not handed out before by this process, taken below the
    /// system's ephemeral range (32768 and up on Linux) where it can be.
    /// </summary>
    /// <remarks>
    /// The port is bound later by whoever asked, so until then anything else may take it. The system's own choice of a
    /// free port comes from the ephemeral range, which every outgoing connection and every listener on port 0 also
    /// draws from: a port chosen there and bound a moment later was seen taken by another server starting in the
    /// same process. Below that range only another explicit choice can collide, and this process never repeats one.
    /// </remarks>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var port = Random.Shared.Next(UnclaimedRangeStart, UnclaimedRangeEnd);
            if (HandedOut.TryAdd(port, 0) && IsPortFree(port))
            {
                return port;
            }
        }

        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (HandedOut.TryAdd(port, 0))
            {
                return port;
            }
        }
    }

    // Registered ports that few services on a developer machine or in a container use, below the ephemeral range.
    private const int UnclaimedRangeStart = 20_000;
    private const int UnclaimedRangeEnd = 32_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> HandedOut = new();

    /// <summary>Whether <paramref name="port"/> on the loopback address can be listened on now.</summary>
    public static bool IsPortFree(int port)
    {
        try
        {
            using var listener = Probe(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Fails when an HTTP address in <paramref name="urls"/> (the <c>Urls</c> setting) names a port that is taken.</summary>
    public static void EnsureUrlsFree(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcard hosts (*, +) are not valid URI hosts.
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                continue;
            }

            var address = uri.IsLoopback ? IPAddress.Loopback : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : IPAddress.Any;
            EnsurePortFree(address, uri.Port, $"{url} (choose another with --urls http://127.0.0.1:PORT)");
        }
    }

    // Binds the way Kestrel and Orleans do (address reuse on), so a port left in TIME_WAIT by a server that just
    // stopped is free, and only a port another process listens on is taken.
    private static TcpListener Probe(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    private static bool Converts(string value, Type type)
    {
        if (type == typeof(string))
        {
            return true;
        }

        if (value.Length == 0)
        {
            // An empty value leaves the default (the binder skips it).
            return true;
        }

        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromString(null, CultureInfo.InvariantCulture, value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException
                                      || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }
}
