using Fleet.Server.Hosting;

WebApplication app;
try
{
    // Start-up failures are reported below in one or two lines, not by the host's own log with its stack trace.
    app = FleetServer.Build(args, builder => builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None));
    Console.WriteLine($"Fleet data in {app.DataDirectory()}");
    await app.StartAsync();
}
catch (Exception e) when (StartupCheck.Explain(e) is { } problems)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine("fleet: " + problem);
    }

    return StartupCheck.ExitCode;
}

foreach (var url in app.Urls)
{
    Console.WriteLine($"Fleet listening on {url}");
}

await app.WaitForShutdownAsync();
return 0;
