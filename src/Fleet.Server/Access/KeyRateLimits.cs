using System.Globalization;
using System.Threading.RateLimiting;
using Fleet.Runtime.Access;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Grpc;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Access;

/// <summary>
/// Per-key rate limits on ASP.NET Core's rate limiter: one token bucket per authenticated key and kind of request
/// (inference, management), partitioned by the key the caller proved, never by anything the caller merely states.
/// A request over its key's rate gets a 429 with <c>Retry-After</c> (gRPC: RESOURCE_EXHAUSTED) naming the limit.
/// Unauthenticated requests are not limited here: they are refused (401) before any work; admin keys are exempt
/// unless <see cref="RateLimitOptions.ExemptAdmin"/> is off, so an incident's mass rollback is never throttled.
/// </summary>
internal static class KeyRateLimits
{
    private const string InferenceKind = "inference";
    private const string ManagementKind = "management";

    /// <summary>Adds the limiter, reading <see cref="RateLimitOptions"/>.</summary>
    public static IServiceCollection AddFleetRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => !o.Validate().Any(), "Fleet rate limits are invalid")
            .ValidateOnStart();
        // Read once at start-up; with no rate set, no limiter sits on the request path at all.
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, limits) =>
        {
            var options = limits.Value;
            if (options.InferencePerSecond <= 0 && options.ManagementPerSecond <= 0)
            {
                return;
            }

            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, (string Key, string Kind)>(context => Partition(context, options));
            limiter.OnRejected = (rejected, _) => RejectAsync(rejected, options);
        });
        services.AddRateLimiter(_ => { });
        return services;
    }

    /// <summary>The token bucket of one key's rate: refilled in steps of at most 100 ms, holding <paramref name="burstSeconds"/> of it.</summary>
    internal static TokenBucketRateLimiterOptions Bucket(double perSecond, double burstSeconds)
    {
        // Whole tokens per step: ten steps a second for rates of 10/s and more, else one token every 1/rate seconds.
        var (tokens, period) = perSecond >= 10
            ? ((int)Math.Round(perSecond / 10), TimeSpan.FromMilliseconds(100))
            : (1, TimeSpan.FromSeconds(1 / perSecond));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, (int)Math.Min(int.MaxValue, Math.Floor(perSecond * burstSeconds))),
            TokensPerPeriod = Math.Max(1, tokens),
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static RateLimitPartition<(string Key, string Kind)> Partition(HttpContext context, RateLimitOptions options)
    {
        var key = context.User.KeyId();
        var inference = IsInference(context);
        var rate = inference ? options.InferencePerSecond : options.ManagementPerSecond;
        if (key is null || rate <= 0 || IsExempt(context) || (options.ExemptAdmin && context.User.HasClaim(FleetClaims.Role, AccessRoles.Admin)))
        {
            return RateLimitPartition.GetNoLimiter((string.Empty, string.Empty));
        }

        return RateLimitPartition.GetTokenBucketLimiter((key, inference ? InferenceKind : ManagementKind), _ => Bucket(rate, options.BurstSeconds));
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, RateLimitOptions options)
    {
        var context = rejected.HttpContext;
        var inference = IsInference(context);
        var (rate, option) = inference
            ? (options.InferencePerSecond, nameof(RateLimitOptions.InferencePerSecond))
            : (options.ManagementPerSecond, nameof(RateLimitOptions.ManagementPerSecond));
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        if (inference)
        {
            context.RequestServices.GetRequiredService<FleetMetrics>().Rejected("rate_limited");
        }

        var message = $"key {context.User.KeyId()} is over its {(inference ? InferenceKind : ManagementKind)} rate limit of {rate.ToString(CultureInfo.InvariantCulture)} requests per second ({RateLimitOptions.Section}:{option}); retry after {seconds} s";
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails { Status = StatusCodes.Status429TooManyRequests, Title = "Too Many Requests", Detail = message };
        problem.Extensions["error"] = message;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    private static bool IsInference(HttpContext context)
    {
        var path = context.Request.Path;
        return GrpcErrorWriter.IsGrpc(context)
            ? path.Value?.EndsWith("/ModelInfer", StringComparison.Ordinal) == true
            : path.StartsWithSegments("/v2/models", StringComparison.Ordinal) && path.Value!.EndsWith("/infer", StringComparison.Ordinal);
    }

    // Health probes answer load balancers and orchestrators, whose checks must never be throttled into a restart.
    private static bool IsExempt(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/v2/health", StringComparison.Ordinal)
        || context.Request.Path.Value?.EndsWith("/ServerLive", StringComparison.Ordinal) == true
        || context.Request.Path.Value?.EndsWith("/ServerReady", StringComparison.Ordinal) == true;
}
