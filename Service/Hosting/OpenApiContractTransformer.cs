using Coord.Service.Elections;
using Coord.Service.Locks;
using Coord.Service.Semaphores;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Coord.Service.Hosting;

/// <summary>
/// What the endpoint metadata alone does not tell a client generator: the lock name as a path parameter
/// (a catch-all route value is not declared by itself), the holder-token header, which routes need an
/// API key, and no <c>servers</c> entry (by default it would echo the request's Host header back).
/// </summary>
public sealed class OpenApiContractTransformer : IOpenApiOperationTransformer, IOpenApiDocumentTransformer, IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        // Required by the endpoint (with its own message when missing), though nullable in the record.
        if (context.JsonTypeInfo.Type == typeof(RenewLockBody))
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "ttlMs" };
        if (context.JsonTypeInfo.Type == typeof(AcquirePermitBody))
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "maxCount" };
        if (context.JsonTypeInfo.Type == typeof(CampaignBody))
            schema.Required = new HashSet<string>(StringComparer.Ordinal) { "value" };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        // A client is pointed at the service by its user; a URL taken from one request's Host header is wrong for everyone else.
        document.Servers = [];
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = context.Description.RelativePath ?? "";
        operation.Parameters ??= [];
        var isElection = path.StartsWith(ElectionEndpoints.Prefix.TrimStart('/'), StringComparison.Ordinal);
        var named = isElection || path.StartsWith(LockRoute.Prefix.TrimStart('/'), StringComparison.Ordinal) || path.StartsWith(SemaphoreEndpoints.Prefix.TrimStart('/'), StringComparison.Ordinal);
        if (named && !operation.Parameters.Any(p => p.Name == "name" && p.In == ParameterLocation.Path))
        {
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = "name",
                In = ParameterLocation.Path,
                Required = true,
                Description = "The lock, semaphore or election name, 1 to 256 characters: '/' may be given raw or as %2F (as %2F before an election's /campaign or /observe); any other reserved character percent-encoded as UTF-8.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1 },
            });
        }
        var method = context.Description.HttpMethod;
        if (named && method is "PUT" or "DELETE")
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = LockRoute.HolderTokenHeader,
                In = ParameterLocation.Header,
                Required = true,
                Description = "The holderToken that acquire returned.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9a-f]{32}$" },
            });
        }
        if (operation.RequestBody is OpenApiRequestBody body && (method == "PUT" || (method == "POST" && (isElection || path.StartsWith(SemaphoreEndpoints.Prefix.TrimStart('/'), StringComparison.Ordinal)))))
            body.Required = true;

        var open = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any();
        if (open)
        {
            operation.Responses?.Remove(StatusCodes.Status401Unauthorized.ToString(System.Globalization.CultureInfo.InvariantCulture));
            operation.Description = (operation.Description is null ? "" : operation.Description + " ") + "Needs no API key.";
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerSecurityTransformer.SchemeName, context.Document)] = [] }];
        }
        if (operation.Parameters.Count == 0)
            operation.Parameters = null;
        return Task.CompletedTask;
    }
}
