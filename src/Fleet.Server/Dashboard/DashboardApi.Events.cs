using System.Text;
using System.Text.Json;
using Fleet.Runtime.Slices;

namespace Fleet.Server.Dashboard;

/// <summary>The dashboard's live stream: the event feed as server-sent events, filtered to what a page shows.</summary>
internal static partial class DashboardApi
{
    /// <summary>How often an open page's event stream looks for new events.</summary>
    private static readonly TimeSpan FeedPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an open page is told to refresh its numbers when no event arrives (gate estimates move between decisions).</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);

    // Server-sent events: every feed event the viewer may see (of the page's model, slice or wave when it names one),
    // and a tick now and then so numbers that move between decisions (gate estimates, traffic) refresh too.
    private static async Task EventsAsync(HttpContext context, IEventFeed feed, string? model, string? slice, string? wave)
    {
        var viewer = DashboardSession.ViewerOf(context);
        if (viewer is null || !viewer.CanRead || (model is not null && !viewer.MaySee(model)))
        {
            context.Response.StatusCode = viewer is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var cancellation = context.RequestAborted;
        try
        {
            var position = await feed.HeadAsync(cancellation);
            await context.Response.WriteAsync("retry: 2000\n\n", cancellation);
            await context.Response.Body.FlushAsync(cancellation);
            var lastWrite = DateTimeOffset.UtcNow;
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(FeedPoll, cancellation);
                var entries = await feed.ReadAfterAsync(position, 500, cancellation);
                var payload = new StringBuilder();
                foreach (var entry in entries)
                {
                    position = entry.Position;
                    var e = entry.Event;
                    if (!viewer.MaySee(e.Model) || (model is not null && e.Model != model) || (slice is not null && e.Slice != slice) || (wave is not null && e.WaveId != wave))
                    {
                        continue;
                    }

                    payload.Append("event: fleet\nid: ").Append(entry.Position).Append("\ndata: ")
                        .Append(JsonSerializer.Serialize(new { model = e.Model, slice = e.Slice, type = e.Type, message = e.Message, wave_id = e.WaveId })).Append("\n\n");
                }

                if (payload.Length == 0 && DateTimeOffset.UtcNow - lastWrite >= Tick)
                {
                    payload.Append("event: tick\ndata: {}\n\n");
                }

                if (payload.Length > 0)
                {
                    await context.Response.WriteAsync(payload.ToString(), cancellation);
                    await context.Response.Body.FlushAsync(cancellation);
                    lastWrite = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page closed.
        }
    }
}
