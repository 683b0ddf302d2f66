using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Infrastructure;

/// <summary>RFC 7807 answers with the shape every endpoint of this API uses.</summary>
public static class Problems
{
    public static ProblemHttpResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>A 400 naming the query parameter or field at fault.</summary>
    public static ProblemHttpResult BadParameter(string parameter, string detail) =>
        Of(StatusCodes.Status400BadRequest, "Invalid request", detail, new Dictionary<string, object?>
        {
            ["errors"] = new[] { new { field = parameter, message = detail } },
        });
}
