using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Infrastructure;

/// <summary>
/// Describes the RFC 7807 answers an endpoint can give, in its metadata (so OpenAPI shows them), from what the endpoint
/// is rather than endpoint by endpoint: 401 and 403 unless anonymous; 400 when it takes a body, a query or route value;
/// 404 when its route names something; 409 for POST, PATCH and DELETE (conflicts, Idempotency-Key reuse); 415 when it
/// reads a body; 503 always (PostgreSQL unreachable). An endpoint that declares a status itself keeps its own.
/// </summary>
public static class ProblemResponses
{
    public const string ContentType = "application/problem+json";

    /// <summary>Applies to every endpoint of the builder (a route group: all endpoints mapped inside it, nested groups too).</summary>
    public static TBuilder WithProblemResponses<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        // Finally: after the endpoints' own conventions, so their authorization and declared responses are known.
        builder.Finally(Describe);
        return builder;
    }

    private static void Describe(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        var declared = metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).ToHashSet();
        void Add(int status)
        {
            if (declared.Add(status))
            {
                metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ContentType]));
            }
        }

        var methods = metadata.OfType<IHttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var routeValues = endpoint is RouteEndpointBuilder route ? route.RoutePattern.Parameters.Count : 0;
        var readsBody = metadata.OfType<IAcceptsMetadata>().Any();
        var changes = methods.Overlaps([HttpMethods.Post, HttpMethods.Patch, HttpMethods.Delete]);
        if (readsBody || changes || routeValues > 0 || TakesQuery(metadata, endpoint as RouteEndpointBuilder))
        {
            Add(StatusCodes.Status400BadRequest);
        }

        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            Add(StatusCodes.Status401Unauthorized);
            Add(StatusCodes.Status403Forbidden);
        }

        if (routeValues > 0)
        {
            Add(StatusCodes.Status404NotFound);
        }

        if (changes)
        {
            Add(StatusCodes.Status409Conflict);
        }

        if (readsBody)
        {
            Add(StatusCodes.Status415UnsupportedMediaType);
        }

        Add(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Whether the handler binds a plain value that is not a route value: a query parameter, which can be malformed.</summary>
    private static bool TakesQuery(IList<object> metadata, RouteEndpointBuilder? route)
    {
        if (metadata.OfType<MethodInfo>().FirstOrDefault() is not { } handler)
        {
            return false;
        }

        var routeNames = route?.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        return handler.GetParameters().Any(p => p.Name is { } name && !routeNames.Contains(name) && IsPlain(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType));
    }

    private static bool IsPlain(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(DateTime)
        || type == typeof(Guid) || type == typeof(TimeSpan) || type == typeof(string[]);
}
