using ControlPlane.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ControlPlane.Infrastructure;

/// <summary>
/// Names the bearer scheme on every operation that needs a token, and none on the anonymous ones (login), so the
/// document says exactly which calls need Authorization (the scheme itself is registered in Extensions.cs).
/// </summary>
public sealed class BearerSecurityOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(BearerTokenHandler.SchemeName, context.Document)] = [],
        });
    }
}
