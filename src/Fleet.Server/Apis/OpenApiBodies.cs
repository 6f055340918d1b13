using Fleet.Contracts.Management;
using Microsoft.OpenApi;

namespace Fleet.Server.Apis;

// Handlers that read their own bodies (to answer 400 and 413 with Fleet's messages) leave nothing for the document
// generator to see; these describe the bodies as they really are, without the routing side effects of Accepts.

/// <summary>Request bodies in the OpenAPI document for handlers that read their body themselves.</summary>
internal static class OpenApiBodies
{
    /// <summary>Describes the body as JSON of <typeparamref name="T"/>.</summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = required,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });

    /// <summary>Describes a push: multipart with the ONNX bytes in <c>file</c> and optional version metadata JSON in <c>metadata</c>.</summary>
    public static RouteHandlerBuilder WithPushForm(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = await context.GetOrCreateSchemaAsync(typeof(VersionMetadata), null, cancellationToken);
            metadata.Description = "Optional version metadata as JSON";
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "file" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The ONNX model bytes" },
                                ["metadata"] = metadata,
                            },
                        },
                        Encoding = new Dictionary<string, OpenApiEncoding>
                        {
                            ["file"] = new() { ContentType = "application/octet-stream" },
                            ["metadata"] = new() { ContentType = "application/json" },
                        },
                    },
                },
            };
        });
}
