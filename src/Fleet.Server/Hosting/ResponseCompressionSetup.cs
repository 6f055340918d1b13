using System.IO.Compression;
using Fleet.Core.Tensors;
using Microsoft.AspNetCore.ResponseCompression;

namespace Fleet.Server.Hosting;

/// <summary>
/// Compresses the inference API's answers (JSON and binary tensors) when the client asks with <c>Accept-Encoding</c>
/// (gzip or br, at the fastest level). A request that does not ask passes straight through.
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
            options.MimeTypes = ["application/json", BinaryTensorExtension.ContentType];
        });
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    /// <summary>Adds response compression to the pipeline of the inference API (<c>/v2</c>) only.</summary>
    public static IApplicationBuilder UseFleetResponseCompression(this IApplicationBuilder app) =>
        app.UseWhen(ErrorHandling.IsInference, branch => branch.UseResponseCompression());
}
