using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Events posted as signed CloudEvents to a real HTTP receiver on loopback, which fails the first attempts.</summary>
public sealed class WebhookTests : IClassFixture<WebhookTests.ServerWithReceiver>
{
    private const string Secret = "s3cret";
    private readonly ServerWithReceiver _server;

    public WebhookTests(ServerWithReceiver server) => _server = server;

    /// <summary>A receiver, and a Fleet server whose webhook points at it.</summary>
    public sealed class ServerWithReceiver : FleetServerFixture
    {
        private readonly int _port = ServerProcess.FreePort();
        private WebApplication? _receiver;
        private int _calls;

        public ServerWithReceiver()
        {
            Settings["Fleet:Webhooks:Targets:0:Url"] = $"http://127.0.0.1:{_port}/hook";
            Settings["Fleet:Webhooks:Targets:0:Secret"] = Secret;
            Settings["Fleet:Webhooks:InitialBackoff"] = "00:00:00.050";
            Settings["Fleet:Webhooks:PollInterval"] = "00:00:00.050";
        }

        public ConcurrentQueue<(string Body, string? Signature, string? ContentType)> Received { get; } = new();

        public async Task StartReceiverAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{_port}");
            _receiver = builder.Build();
            _receiver.MapPost("/hook", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                // The first two deliveries fail: Fleet must retry, not lose the event.
                if (Interlocked.Increment(ref _calls) <= 2)
                {
                    return Results.StatusCode(503);
                }

                Received.Enqueue((body, request.Headers["Fleet-Signature"].ToString(), request.ContentType));
                return Results.Ok();
            });
            await _receiver.StartAsync();
        }

        public override async Task InitializeAsync()
        {
            await StartReceiverAsync();
            await base.InitializeAsync();
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            if (_receiver is not null)
            {
                await _receiver.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Every_event_arrives_once_in_order_as_a_signed_cloudevent_despite_failed_attempts()
    {
        var model = UniqueModel("hooks");
        var v1 = (await _server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        var v2 = (await _server.Client.PushAsync(model, Model(0.2f))).Version.Version;
        await _server.Client.DeployAsync(model, new DeployRequest { Version = v1, Slices = ["s=1"], Reason = "first" });
        await _server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = RolloutStrategies.Canary, StepSeconds = 600 } });
        await _server.Client.ActAsync(model, RolloutActions.Rollback, new RolloutActionRequest { Slices = ["s=1"], Reason = "changed my mind" });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<JsonElement> events;
        do
        {
            await Task.Delay(50);
            events = _server.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone())
                .Where(e => e.GetProperty("subject").GetString() == $"{model}/s=1").ToList();
        }
        while (events.Count < 3 && DateTime.UtcNow < deadline);

        Assert.Equal([SliceEventTypes.Deployed, SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutRolledBack], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([$"{model}/s=1/1", $"{model}/s=1/2", $"{model}/s=1/3"], events.Select(e => e.GetProperty("id").GetString()));
        Assert.All(events, e => Assert.Equal("1.0", e.GetProperty("specversion").GetString()));
        Assert.Equal("changed my mind", events[2].GetProperty("data").GetProperty("message").GetString()!.Split(": ")[^1]);
        foreach (var (body, signature, contentType) in _server.Received)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body)));
            Assert.Equal(expected, signature);
            Assert.StartsWith("application/cloudevents+json", contentType);
        }
    }
}
