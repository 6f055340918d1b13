namespace Fleet.Runtime.Webhooks;

/// <summary>Where slice events are posted as CloudEvents (configuration section <c>Fleet:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>The receivers.</summary>
    public List<WebhookTarget> Targets { get; set; } = [];

    /// <summary>Attempts per event before it is given up on and counted (default 8).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait before the first retry; it doubles at each attempt (default 1 s).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one delivery may take (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the event feed is read for new events (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Checks the options; returns the problems, each naming the option.</summary>
    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < Targets.Count; i++)
        {
            if (!Uri.TryCreate(Targets[i].Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                yield return $"Fleet:Webhooks:Targets:{i}:Url must be an absolute http(s) URL";
            }
        }

        if (MaxAttempts < 1)
        {
            yield return "Fleet:Webhooks:MaxAttempts must be at least 1";
        }
    }
}

/// <summary>One receiver of slice events.</summary>
public sealed class WebhookTarget
{
    /// <summary>The URL events are posted to.</summary>
    public string Url { get; set; } = "";

    /// <summary>The key of the HMAC-SHA256 signature in the <c>Fleet-Signature</c> header; none is sent when empty.</summary>
    public string? Secret { get; set; }

    /// <summary>Event types to send (e.g. fleet.rollout.rolled_back); all when empty.</summary>
    public List<string> EventTypes { get; set; } = [];

    /// <summary>The URL with any credentials left out, for logs.</summary>
    public override string ToString() => Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(invalid url)";
}
