using System.Diagnostics;
using System.Text;

namespace Fleet.Server.Tests.Startup;

/// <summary>One run of the real server process (the test build's Fleet.Server.dll) until it exits or prints a line.</summary>
internal sealed class ServerRun : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<string> _lines = [];

    private ServerRun(Process process)
    {
        _process = process;
    }

    /// <summary>Everything written so far, standard output and error interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The lines written so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_output)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Starts the server with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static ServerRun Start(string workingDirectory, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Fleet.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        var run = new ServerRun(Process.Start(start) ?? throw new InvalidOperationException("could not start the server process"));
        run._process.OutputDataReceived += (_, e) => run.Append(e.Data);
        run._process.ErrorDataReceived += (_, e) => run.Append(e.Data);
        run._process.BeginOutputReadLine();
        run._process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server did not exit within 90 s:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> is written; fails when the process exits first.</summary>
    public async Task WaitForAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"no line with '{text}' before the server {(_process.HasExited ? $"exited with {_process.ExitCode}" : "timed out")}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            _lines.Add(line);
        }
    }
}
