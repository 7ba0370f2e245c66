using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Coord.Service.Hosting;

/// <summary>Declares the API-key bearer scheme in /openapi/v1.json, so generated clients send the key.</summary>
public sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer
{
    public const string SchemeName = "ApiKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A key from Coord:ApiKeys, as 'Authorization: Bearer <key>'. Every route but /healthz needs it when keys are configured.",
        };
        // Which routes need it is said per operation (OpenApiContractTransformer): /healthz needs none.
        return Task.CompletedTask;
    }
}
