using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Core.Ensembles;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.Server.Access;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Inference;
using VersionInfo = Fleet.Contracts.Management.VersionInfo;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Grpc;

/// <summary>
/// The Open Inference Protocol's gRPC service (<c>inference.GRPCInferenceService</c>) on the same prediction path,
/// registry and slice routes as the REST API: a slice is addressed as <c>model@slice</c> or by
/// <c>parameters["slice"]</c>, a version by <c>model_version</c>. Outputs come back as <c>raw_output_contents</c>
/// (as Triton answers) unless the request sets <c>parameters["typed_output_contents"]</c> to true. An ensemble's name
/// (or <c>ensemble@slice</c>) is served as in REST: its metadata and readiness, and its answer with the definition
/// version and the members that contributed and were dropped in <c>parameters</c>.
/// </summary>
internal sealed class InferenceGrpcService(
    PredictionService predictions, ModelRegistry registry, DeploymentService deployments, Readiness readiness, IOptions<InferRequestLimits> limits,
    IOptions<ServerOptions> server, FleetMetrics metrics)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <inheritdoc/>
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    /// <inheritdoc/>
    public override async Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        new() { Ready = await readiness.ProblemAsync(context.CancellationToken) is null };

    /// <inheritdoc/>
    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse
        {
            Name = "fleet",
            Version = typeof(InferenceGrpcService).Assembly.GetName().Version?.ToString(3) ?? "0",
            Extensions = { BinaryTensorExtension.ServerExtensions },
        });

    /// <inheritdoc/>
    public override async Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var slice = Resolve(request.Name, context);
        if (request.Version.Length == 0 && await Apis.EnsemblesApi.MetadataAsync(request.Name, context.GetHttpContext().RequestServices, context.CancellationToken) is { } ensemble)
        {
            var metadata = new ModelMetadataResponse { Name = ensemble.Name, Platform = ensemble.Platform };
            metadata.Versions.AddRange(ensemble.Versions);
            metadata.Inputs.AddRange(ensemble.Inputs.Select(Spec));
            metadata.Outputs.AddRange(ensemble.Outputs.Select(Spec));
            return metadata;
        }

        if (request.Version.Length > 0)
        {
            var info = await registry.ResolveVersionAsync(slice.Model, request.Version, context.CancellationToken);
            return Metadata(request.Name, [info], info);
        }

        // As in REST: a slice without a deployment is NOT_FOUND; a plain model name speaks for the default slice, or
        // the first slice that serves.
        var serving = await deployments.ServingSliceAsync(request.Name, context.CancellationToken);
        var versions = await registry.ListVersionsAsync(slice.Model, context.CancellationToken);
        return Metadata(request.Name, versions, versions.First(v => v.Version == serving.Version));
    }

    /// <inheritdoc/>
    public override async Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        var slice = Resolve(request.Name, context);
        if (request.Version.Length == 0 && await Apis.EnsemblesApi.ReadyAsync(request.Name, context.GetHttpContext().RequestServices, context.CancellationToken) is not null)
        {
            return new ModelReadyResponse { Ready = true };
        }

        if (request.Version.Length > 0)
        {
            await registry.ResolveVersionAsync(slice.Model, request.Version, context.CancellationToken);
            return new ModelReadyResponse { Ready = true };
        }

        await deployments.ServingSliceAsync(request.Name, context.CancellationToken);
        return new ModelReadyResponse { Ready = true };
    }

    /// <inheritdoc/>
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        GrpcAccess.RequireModel(context, ModelOf(request.ModelName));
        var parsed = GrpcInferRequestReader.Read(request, limits.Value, out var typedOutputs);
        var version = request.ModelVersion.Length > 0 ? request.ModelVersion : null;
        if (version is null && await Apis.EnsemblesApi.TryPredictAsync(context.GetHttpContext(), request.ModelName, parsed, context.CancellationToken) is { } answer)
        {
            var combined = Response(request.ModelName, answer.Version, answer.Slice, answer.Outputs, parsed.Id, typedOutputs);
            combined.Parameters[EnsembleResponseWriter.Contributed] = new InferParameter { StringParam = EnsembleResponseWriter.DescribeContributed(answer.Outcome) };
            combined.Parameters[EnsembleResponseWriter.Dropped] = new InferParameter { StringParam = EnsembleResponseWriter.DescribeDropped(answer.Outcome) };
            return combined;
        }

        var prediction = await InferenceDeadline.PredictAsync(predictions, metrics, request.ModelName, version, parsed, server.Value.InferenceTimeout, context.CancellationToken);
        return Response(request.ModelName, prediction.Version, prediction.Slice.Key, prediction.Outputs, prediction.Id ?? parsed.Id, typedOutputs);
    }

    private static ModelInferResponse Response(string modelName, string version, string slice, IReadOnlyList<Tensor> outputs, string? id, bool typedOutputs)
    {
        var response = new ModelInferResponse { ModelName = modelName, ModelVersion = version, Id = id ?? "" };
        response.Parameters[Contracts.Inference.InferParameters.Slice] = new InferParameter { StringParam = slice };
        foreach (var tensor in outputs)
        {
            var output = new ModelInferResponse.Types.InferOutputTensor { Name = tensor.Name, Datatype = tensor.DataType };
            output.Shape.AddRange(tensor.Shape);
            if (typedOutputs)
            {
                output.Contents = TypedContents.Write(tensor.Type, tensor.Data);
            }
            else
            {
                response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(RawTensorCodec.Write(tensor.Type, tensor.Data)));
            }

            response.Outputs.Add(output);
        }

        return response;
    }

    private static SliceId Resolve(string name, ServerCallContext context)
    {
        var slice = SliceId.TryResolve(name, null, out var resolved, out var error) ? resolved : throw new BadRequestException(error);
        GrpcAccess.RequireModel(context, slice.Model);
        return slice;
    }

    // The model part of an addressed name, for the key's scope; the name itself is checked when the slice resolves.
    private static string ModelOf(string name)
    {
        var at = name.IndexOf(Contracts.Inference.InferParameters.SliceSeparator, StringComparison.Ordinal);
        return at < 0 ? name : name[..at];
    }

    private static ModelMetadataResponse Metadata(string name, IReadOnlyList<VersionInfo> versions, VersionInfo shown)
    {
        var metadata = new ModelMetadataResponse { Name = name, Platform = "onnxruntime_onnx" };
        metadata.Versions.AddRange(versions.Select(v => v.Version));
        metadata.Inputs.AddRange(shown.Signature.Inputs.Select(Spec));
        metadata.Outputs.AddRange(shown.Signature.Outputs.Select(Spec));
        return metadata;
    }

    private static ModelMetadataResponse.Types.TensorMetadata Spec(TensorSpec spec)
    {
        var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.DataType };
        tensor.Shape.AddRange(spec.Shape);
        return tensor;
    }
}
