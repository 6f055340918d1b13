using System.Net;
using System.Net.Sockets;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Startup;

/// <summary>The real server process started wrongly: each misconfiguration gives one or two lines and exit code 2, no stack trace.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly TempDirectory _data = new("fleet-startup");
    private readonly TempDirectory _elsewhere = new("fleet-cwd");

    [Fact]
    public async Task A_negative_request_limit_stops_the_start_naming_the_key()
    {
        using var run = Start("--Fleet:MaxInferenceRequestBytes=-5");
        Assert.Equal(2, await run.ExitCodeAsync());
        AssertOnlyLines(run, "fleet: Fleet:MaxInferenceRequestBytes must be at least 1024 (is -5)");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_stops_the_start_naming_the_key_and_the_type_in_words()
    {
        using var run = Start("--Fleet:ModelHost:IntraOpThreads=abc");
        Assert.Equal(2, await run.ExitCodeAsync());
        AssertOnlyLines(run, "fleet: Fleet:ModelHost:IntraOpThreads must be an integer (is 'abc')");
    }

    [Fact]
    public async Task A_grpc_port_out_of_range_and_a_drift_rate_above_one_stop_the_start_naming_the_keys()
    {
        using var port = Start("--Fleet:Grpc:Port=70000");
        using var rate = Start("--Fleet:Drift:SampleRate=2");
        Assert.Equal(2, await port.ExitCodeAsync());
        AssertOnlyLines(port, "fleet: Fleet:Grpc:Port must be a port (0-65535; 0 picks a free one), is 70000");
        Assert.Equal(2, await rate.ExitCodeAsync());
        AssertOnlyLines(rate, "fleet: Fleet:Drift:SampleRate must be between 0 and 1");
    }

    [Fact]
    public async Task A_time_span_that_is_not_one_stops_the_start()
    {
        using var run = Start("--Fleet:Rollouts:ReportInterval=soon");
        Assert.Equal(2, await run.ExitCodeAsync());
        AssertOnlyLines(run, "fleet: Fleet:Rollouts:ReportInterval must be a time span (hh:mm:ss, e.g. 00:00:10) (is 'soon')");
    }

    [Fact]
    public async Task An_http_port_in_use_stops_the_start_naming_the_port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var run = ServerRun.Start(_elsewhere.Path, "--urls", $"http://127.0.0.1:{port}", "--data", _data.Path, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0");
        Assert.Equal(2, await run.ExitCodeAsync());
        AssertOnlyLines(run, $"fleet: port {port} is in use by another process: http://127.0.0.1:{port} (choose another with --urls http://127.0.0.1:PORT)");
    }

    [Fact]
    public async Task A_grpc_port_in_use_stops_the_start_naming_its_setting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var run = Start($"--Fleet:Grpc:Port={port}");
        Assert.Equal(2, await run.ExitCodeAsync());
        AssertOnlyLines(run, $"fleet: port {port} is in use by another process: Fleet:Grpc:Port (the gRPC port; choose another with --Fleet:Grpc:Port=PORT, 0 picks a free one)");
    }

    [Fact]
    public async Task A_silo_port_set_explicitly_and_in_use_stops_the_start()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var run = ServerRun.Start(_elsewhere.Path, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}", "--data", _data.Path, $"--Fleet:SiloPort={port}", "--Fleet:Grpc:Port=0");
        Assert.Equal(2, await run.ExitCodeAsync());
        var line = Assert.Single(run.Lines, l => l.Length > 0);
        Assert.StartsWith($"fleet: port {port} is in use by another process: Fleet:SiloPort", line);
    }

    [Fact]
    public async Task The_default_silo_port_in_use_makes_a_single_node_choose_a_free_one_and_say_so()
    {
        using var taken = TryListen(11111);
        using var run = ServerRun.Start(_elsewhere.Path, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}", "--data", _data.Path,
            "--Fleet:Grpc:Port=0", $"--{TestKeys.BootstrapSetting}={TestKeys.Admin}");
        await run.WaitForAsync("Fleet listening on");
        Assert.Contains(run.Lines, l => l.StartsWith("note: silo port 11111 is in use (another Fleet server?); this single node uses ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_fleet_key_is_a_warning_naming_the_nearest_known_key_and_the_server_starts()
    {
        using var run = Start("--Fleet:ModelHost:IntraOpThread=2", $"--{TestKeys.BootstrapSetting}={TestKeys.Admin}");
        await run.WaitForAsync("Fleet listening on");
        Assert.Equal("warning: unknown setting Fleet:ModelHost:IntraOpThread (ignored); did you mean Fleet:ModelHost:IntraOpThreads?", run.Lines[0]);
    }

    [Fact]
    public async Task Started_from_another_folder_the_server_reads_its_own_settings_and_prints_its_data_folder()
    {
        using var run = Start($"--{TestKeys.BootstrapSetting}={TestKeys.Admin}");
        await run.WaitForAsync("Fleet listening on");
        Assert.Contains($"Fleet data in {_data.Path}", run.Lines);
        await run.WaitForAsync("Content root path:");
        var root = Assert.Single(run.Lines, l => l.Contains("Content root path:", StringComparison.Ordinal));
        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.TrimEndingDirectorySeparator(root.Split("Content root path:")[1].Trim()));
    }

    [Fact]
    public async Task Without_a_data_folder_the_server_uses_fleet_data_under_its_working_directory_says_so_and_logs_by_its_own_settings()
    {
        var port = ServerProcess.FreePort();
        using var run = ServerRun.Start(_elsewhere.Path, "--urls", $"http://127.0.0.1:{port}", "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0", $"--{TestKeys.BootstrapSetting}={TestKeys.Admin}");
        await run.WaitForAsync("Fleet listening on");
        var data = Path.Combine(_elsewhere.Path, "fleet-data");
        Assert.Contains($"Fleet data in {data}", run.Lines);
        Assert.True(Directory.Exists(data), $"{data} was not created");

        // appsettings.json (in the server's own folder) keeps ASP.NET Core at Warning: a request logs nothing. Without it
        // every request would log its start and end at Information.
        using var http = new HttpClient();
        using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/v2/health/live"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain("Request starting", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.AspNetCore", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_healthy_start_prints_no_watchdog_warning()
    {
        using var run = Start($"--{TestKeys.BootstrapSetting}={TestKeys.Admin}");
        await run.WaitForAsync("Fleet listening on");
        // The watchdog's first checks run within a second of the silo's start.
        await Task.Delay(TimeSpan.FromSeconds(3));
        // Other watchdog warnings (a stall of the runtime under a starved machine) are real and stay visible.
        Assert.DoesNotContain("Participant check thread", run.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _data.Dispose();
        _elsewhere.Dispose();
    }

    private static TcpListener? TryListen(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            // Already taken by another process, which is the situation under test.
            return null;
        }
    }

    private static void AssertOnlyLines(ServerRun run, params string[] expected)
    {
        var lines = run.Lines.Where(l => l.Length > 0).ToArray();
        Assert.True(expected.SequenceEqual(lines), "expected only:\n" + string.Join('\n', expected) + "\nbut the server wrote:\n" + run.Output);
    }

    private ServerRun Start(params string[] settings) =>
        ServerRun.Start(_elsewhere.Path, ["--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}", "--data", _data.Path, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0", .. settings]);
}
