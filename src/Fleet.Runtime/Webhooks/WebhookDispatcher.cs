using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Runtime.Slices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Webhooks;

/// <summary>
/// Posts every slice event, in commit order, to each configured receiver as a CloudEvent (structured JSON mode), signed
/// with HMAC-SHA256 in <c>Fleet-Signature: sha256=HEX</c>. Delivery is at least once: a receiver's position in the
/// event feed is durable and only moves past an event once it was accepted (2xx) or given up on after the attempts.
/// </summary>
internal sealed partial class WebhookDispatcher : BackgroundService
{
    /// <summary>The signature header.</summary>
    public const string SignatureHeader = "Fleet-Signature";

    private readonly WebhookOptions _options;
    private readonly IEventFeed _feed;
    private readonly HttpClient _http;
    private readonly ILogger<WebhookDispatcher> _logger;

    public WebhookDispatcher(IOptions<WebhookOptions> options, IEventFeed feed, ILogger<WebhookDispatcher> logger)
    {
        _options = options.Value;
        _feed = feed;
        _logger = logger;
        _http = new HttpClient { Timeout = _options.Timeout };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Targets.Count == 0)
        {
            return;
        }

        await Task.WhenAll(_options.Targets.Select(target => DeliverForeverAsync(target, stoppingToken)));
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private async Task DeliverForeverAsync(WebhookTarget target, CancellationToken stoppingToken)
    {
        try
        {
            // A receiver's position is kept by its URL, the name it had before the feed was an interface.
            var position = await _feed.ReadPositionAsync(target.Url, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = await _feed.ReadAfterAsync(position, 100, stoppingToken);
                foreach (var (at, evt) in batch)
                {
                    if (target.EventTypes.Count == 0 || target.EventTypes.Contains(evt.Type))
                    {
                        await DeliverAsync(target, evt, stoppingToken);
                    }

                    position = at;
                    await _feed.SavePositionAsync(target.Url, position, CancellationToken.None);
                }

                if (batch.Count == 0)
                {
                    await Task.Delay(_options.PollInterval, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(WebhookTarget target, SliceEvent evt, CancellationToken stoppingToken)
    {
        var body = CloudEvent(evt);
        var backoff = _options.InitialBackoff;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json") { CharSet = "utf-8" };
                if (!string.IsNullOrEmpty(target.Secret))
                {
                    request.Headers.Add(SignatureHeader, Sign(target.Secret, body));
                }

                request.Headers.Add("Fleet-Delivery-Attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await _http.SendAsync(request, stoppingToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                LogAttemptFailed(_logger, target.ToString(), EventId(evt), attempt, $"{(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogAttemptFailed(_logger, target.ToString(), EventId(evt), attempt, e.Message);
            }

            if (attempt < _options.MaxAttempts)
            {
                await Task.Delay(backoff, stoppingToken);
                backoff *= 2;
            }
        }

        LogGaveUp(_logger, target.ToString(), EventId(evt), _options.MaxAttempts);
    }

    /// <summary>The event as a CloudEvents 1.0 JSON document.</summary>
    internal static byte[] CloudEvent(SliceEvent evt) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["specversion"] = "1.0",
        ["id"] = EventId(evt),
        ["source"] = $"/fleet/models/{evt.Model}/slices/{Uri.EscapeDataString(evt.Slice)}",
        ["type"] = evt.Type,
        ["subject"] = $"{evt.Model}/{evt.Slice}",
        ["time"] = evt.Time,
        ["datacontenttype"] = "application/json",
        ["data"] = evt,
    });

    /// <summary>The signature header value of a body: <c>sha256=</c> and the lowercase hex HMAC-SHA256 under the secret.</summary>
    internal static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static string EventId(SliceEvent evt) => $"{evt.Model}/{evt.Slice}/{evt.Seq}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Target}: delivery {EventId} attempt {Attempt} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string target, string eventId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Target}: gave up on {EventId} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, string target, string eventId, int attempts);
}
