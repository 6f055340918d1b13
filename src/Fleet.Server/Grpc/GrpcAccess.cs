using Fleet.Runtime.Access;
using Fleet.Server.Access;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace Fleet.Server.Grpc;

/// <summary>
/// The roles of the gRPC methods, the same as their REST twins': live and ready are open, metadata and model
/// readiness need a reader, inference a caller. The model a call is about is in its message, not its route, so the
/// endpoints are model-free for the authorization middleware and the service checks a scoped key itself.
/// </summary>
internal static class GrpcAccess
{
    private static readonly Dictionary<string, string?> RoleOfMethod = new(StringComparer.Ordinal)
    {
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ServerLive)] = null,
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ServerReady)] = null,
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ServerMetadata)] = AccessRoles.Reader,
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ModelMetadata)] = AccessRoles.Reader,
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ModelReady)] = AccessRoles.Reader,
        [nameof(Inference.GRPCInferenceService.GRPCInferenceServiceBase.ModelInfer)] = AccessRoles.Caller,
    };

    /// <summary>Gives every endpoint of the service its policy; a method missing from the table fails at start-up.</summary>
    public static GrpcServiceEndpointConventionBuilder WithFleetAccess(this GrpcServiceEndpointConventionBuilder builder)
    {
        builder.Add(endpoint =>
        {
            endpoint.Metadata.Add(ModelFreeEndpoint.Instance);
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().FirstOrDefault() is not { } method)
            {
                // The catch-all that answers UNIMPLEMENTED for methods the service does not have guards nothing.
                endpoint.Metadata.Add(new AllowAnonymousAttribute());
                return;
            }

            if (!RoleOfMethod.TryGetValue(method.Method.Name, out var role))
            {
                throw new InvalidOperationException($"gRPC method {method.Method.FullName} has no role in {nameof(GrpcAccess)}");
            }

            endpoint.Metadata.Add(role is null ? new AllowAnonymousAttribute() : new AuthorizeAttribute(FleetClaims.Policy(role)));
        });
        return builder;
    }

    /// <summary>Refuses the call (PERMISSION_DENIED, with the REST API's message) when its key is scoped to other models than <paramref name="model"/>.</summary>
    public static void RequireModel(ServerCallContext context, string model)
    {
        var user = context.GetHttpContext().User;
        if (user.KeyId() is not { } id)
        {
            return;
        }

        var scope = user.FindAll(FleetClaims.Model).Select(c => c.Value).ToArray();
        if (scope.Length > 0 && FleetAccessHandler.ScopeRefusal(id, scope, model) is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, refusal));
        }
    }
}
