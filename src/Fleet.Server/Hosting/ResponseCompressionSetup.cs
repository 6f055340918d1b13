using System.IO.Compression;
using Fleet.Core.Tensors;
using Microsoft.AspNetCore.ResponseCompression;

namespace Fleet.Server.Hosting;

/// <summary>
/// Compresses the inference API's answers (JSON and binary tensors) and the management API's (a page of 10,000 slices
/// is megabytes of JSON) when the client asks with <c>Accept-Encoding</c> (gzip or br, at the fastest level). A request
/// that does not ask passes straight through. The keys API is never compressed: it answers with a new key's secret,
/// and a compressed answer that also reflects the caller's input is what a BREACH-style attack reads secrets from.
/// </summary>
internal static class ResponseCompressionSetup
{
    /// <summary>Registers response compression for the inference API's content types.</summary>
    public static IServiceCollection AddFleetResponseCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(options =>
        {
            // Inference answers echo no secret of the caller's, so compressing them over HTTPS gives BREACH nothing to read.
            options.EnableForHttps = true;
            options.Providers.Add<GzipCompressionProvider>();
            options.Providers.Add<BrotliCompressionProvider>();
            options.MimeTypes = ["application/json", "application/problem+json", BinaryTensorExtension.ContentType];
        });
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    /// <summary>Adds response compression to the pipelines of the inference API (<c>/v2</c>) and the management API but its keys.</summary>
    public static IApplicationBuilder UseFleetResponseCompression(this IApplicationBuilder app) =>
        app.UseWhen(Compressible, branch => branch.UseResponseCompression());

    private static bool Compressible(HttpContext context) =>
        ErrorHandling.IsInference(context)
        || (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal) && !context.Request.Path.StartsWithSegments("/api/v1/keys", StringComparison.Ordinal));
}
