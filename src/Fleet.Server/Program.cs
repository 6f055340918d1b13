using Fleet.Server.Hosting;

var app = FleetServer.Build(args);
await app.StartAsync();
foreach (var url in app.Urls)
{
    Console.WriteLine($"Fleet listening on {url}");
}

Console.WriteLine($"Fleet data in {app.DataDirectory()}");
await app.WaitForShutdownAsync();
