using System.Buffers;
using System.Globalization;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>The Open Inference Protocol V2 REST API. A slice is addressed as <c>{model}@{slice}</c> or by <c>parameters.slice</c>.</summary>
internal static class InferenceApi
{
    public static IEndpointRouteBuilder MapInferenceApi(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Inference (OIP V2)");
        v2.MapGet("/health/live", () => TypedResults.Ok(new { live = true })).WithSummary("Liveness").AllowAnonymous();
        v2.MapGet("/health/ready", ReadyAsync).WithSummary("Readiness: the silo answers a grain call and the state store is readable")
            .Produces<ReadinessAnswer>(StatusCodes.Status503ServiceUnavailable).AllowAnonymous();
        v2.MapGet("", () => TypedResults.Ok(new ServerMetadataResponse("fleet", typeof(InferenceApi).Assembly.GetName().Version?.ToString(3) ?? "0", BinaryTensorExtension.ServerExtensions)))
            .WithSummary("Server metadata").RequireRole(AccessRoles.Reader).ModelFree();
        v2.MapGet("/models/{name}", ModelMetadataAsync).WithSummary("Model metadata of a slice's stable version (404 when the slice has no deployment)").RequireRole(AccessRoles.Reader);
        v2.MapGet("/models/{name}/versions/{version}", VersionMetadata).WithSummary("Model metadata of one version").RequireRole(AccessRoles.Reader);
        v2.MapGet("/models/{name}/ready", ModelReadyAsync).WithSummary("Whether the slice (for a plain model name: any slice) has a version to serve").RequireRole(AccessRoles.Reader);
        v2.MapGet("/models/{name}/versions/{version}/ready", VersionReady).WithSummary("Whether the version can be served").RequireRole(AccessRoles.Reader);
        v2.MapPost("/models/{name}/infer", (HttpContext context, string name, PredictionService predictions, FleetMetrics metrics, IOptions<ServerOptions> options, IOptions<InferRequestLimits> requestLimitOptions) =>
                InferAsync(context, name, null, predictions, metrics, options, requestLimitOptions))
            .WithSummary("Predict with the slice's stable version").Accepts<InferRequest>("application/json", BinaryTensorExtension.ContentType).Produces<InferResponse>()
            .RequireRole(AccessRoles.Caller);
        v2.MapPost("/models/{name}/versions/{version}/infer", (HttpContext context, string name, string version, PredictionService predictions, FleetMetrics metrics, IOptions<ServerOptions> options, IOptions<InferRequestLimits> requestLimitOptions) =>
                InferAsync(context, name, version, predictions, metrics, options, requestLimitOptions))
            .WithSummary("Predict with a pinned version").Accepts<InferRequest>("application/json", BinaryTensorExtension.ContentType).Produces<InferResponse>()
            .RequireRole(AccessRoles.Caller);
        return app;
    }

    private static async Task InferAsync(HttpContext context, string name, string? version, PredictionService predictions, FleetMetrics metrics, IOptions<ServerOptions> options, IOptions<InferRequestLimits> requestLimitOptions)
    {
        var limits = options.Value;
        var requestLimits = requestLimitOptions.Value;
        var headerLength = context.Request.Headers[BinaryTensorExtension.HeaderLength].ToString();
        if (headerLength.Length == 0 && IsOctetStream(context.Request))
        {
            throw new BadHttpRequestException(
                $"a request body of '{BinaryTensorExtension.ContentType}' must give the length of its JSON header in the {BinaryTensorExtension.HeaderLength} header (the binary tensor extension); send JSON with 'Content-Type: application/json' otherwise",
                StatusCodes.Status415UnsupportedMediaType);
        }

        Prediction prediction;
        ParsedInferRequest request;
        using (var body = await RequestBody.ReadAsync(context.Request, limits.MaxInferenceRequestBytes, context.RequestAborted))
        {
            int? jsonLength = headerLength.Length == 0 ? null : BinaryTensorExtension.ParseHeaderLength(headerLength, body.Length);
            request = InferRequestParser.Parse(body.Span, jsonLength, requestLimits);
            if (version is null && await EnsemblesApi.TryInferAsync(context, name, request))
            {
                return;
            }

            prediction = await InferenceDeadline.PredictAsync(predictions, metrics, name, version, request, limits.InferenceTimeout, context.RequestAborted);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        var id = prediction.Id ?? request.Id;
        if (BinaryOutputs(request, prediction.Outputs) is not { } binary)
        {
            context.Response.ContentType = "application/json";
            InferResponseWriter.Write(context.Response.BodyWriter, name, prediction.Version, id, prediction.Slice.Key, prediction.Outputs);
        }
        else
        {
            WriteBinary(context.Response, name, prediction, id, binary);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static bool IsOctetStream(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith(BinaryTensorExtension.ContentType, StringComparison.OrdinalIgnoreCase);

    // Which outputs the caller asked for in binary form, by index; null when none (a plain JSON answer).
    private static bool[]? BinaryOutputs(ParsedInferRequest request, IReadOnlyList<Fleet.Core.Tensors.Tensor> outputs)
    {
        if (!request.AsksForBinary)
        {
            return null;
        }

        var binary = new bool[outputs.Count];
        var any = false;
        for (var i = 0; i < outputs.Count; i++)
        {
            any |= binary[i] = request.WantsBinary(outputs[i].Name);
        }

        return any ? binary : null;
    }

    // The JSON header goes first into a small buffer (its length is a response header); the tensors' bytes then go
    // straight from their arrays to the response.
    private static void WriteBinary(HttpResponse response, string name, Prediction prediction, string? id, bool[] binary)
    {
        var header = new ArrayBufferWriter<byte>(512);
        InferResponseWriter.Write(header, name, prediction.Version, id, prediction.Slice.Key, prediction.Outputs, binary);
        response.ContentType = BinaryTensorExtension.ContentType;
        response.Headers[BinaryTensorExtension.HeaderLength] = header.WrittenCount.ToString(CultureInfo.InvariantCulture);
        var writer = response.BodyWriter;
        writer.Write(header.WrittenSpan);
        for (var i = 0; i < binary.Length; i++)
        {
            if (binary[i])
            {
                BinaryTensorWriter.WriteData(writer, prediction.Outputs[i]);
            }
        }
    }

    private static async Task<Results<Ok<ReadinessAnswer>, JsonHttpResult<ReadinessAnswer>>> ReadyAsync(Readiness readiness, CancellationToken cancellationToken) =>
        await readiness.ProblemAsync(cancellationToken) is { } problem
            ? TypedResults.Json(new ReadinessAnswer(false, problem), statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(new ReadinessAnswer(true));

    // Metadata, ready and infer agree: a slice without a deployment is 404 on all three; a plain model name speaks
    // for the default slice, or when that has no deployment for the first slice that serves (named in parameters.slice).
    private static async Task<Ok<ModelMetadataResponse>> ModelMetadataAsync(string name, HttpContext context, DeploymentService deployments, ModelRegistry registry)
    {
        if (await EnsemblesApi.MetadataAsync(name, context.RequestServices, context.RequestAborted) is { } ensemble)
        {
            return TypedResults.Ok(ensemble);
        }

        var serving = await deployments.ServingSliceAsync(name, context.RequestAborted);
        var versions = await registry.ListVersionsAsync(serving.Model);
        context.Response.Headers[SliceHeader] = serving.Slice;
        return TypedResults.Ok(Metadata(name, versions, versions.First(v => v.Version == serving.Version)) with { Parameters = new SliceParameters(serving.Slice, serving.Version) });
    }

    private static async Task<Ok<ModelMetadataResponse>> VersionMetadata(string name, string version, ModelRegistry registry)
    {
        var slice = Resolve(name);
        var info = await registry.ResolveVersionAsync(slice.Model, version);
        return TypedResults.Ok(Metadata(name, [info], info));
    }

    private static async Task<Ok<ModelReadyResponse>> ModelReadyAsync(string name, HttpContext context, DeploymentService deployments)
    {
        if (await EnsemblesApi.ReadyAsync(name, context.RequestServices, context.RequestAborted) is { } ensemble)
        {
            return TypedResults.Ok(ensemble);
        }

        var serving = await deployments.ServingSliceAsync(name, context.RequestAborted);
        context.Response.Headers[SliceHeader] = serving.Slice;
        return TypedResults.Ok(new ModelReadyResponse(name, true) { Parameters = new SliceParameters(serving.Slice, serving.Version) });
    }

    /// <summary>The response header naming the slice a metadata or ready answer speaks for (also in the body's <c>parameters.slice</c>).</summary>
    public const string SliceHeader = "Fleet-Slice";

    private static async Task<Ok<ModelReadyResponse>> VersionReady(string name, string version, ModelRegistry registry)
    {
        var slice = Resolve(name);
        await registry.ResolveVersionAsync(slice.Model, version);
        return TypedResults.Ok(new ModelReadyResponse(name, true));
    }

    private static SliceId Resolve(string name) =>
        SliceId.TryResolve(name, null, out var slice, out var error) ? slice : throw new BadRequestException(error);

    private static ModelMetadataResponse Metadata(string name, IReadOnlyList<VersionInfo> versions, VersionInfo shown) =>
        new(name, versions.Select(v => v.Version).ToArray(), "onnxruntime_onnx", shown.Signature.Inputs, shown.Signature.Outputs);
}
