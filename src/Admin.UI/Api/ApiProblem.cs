using System.Net;
using System.Text.Json;

namespace Admin.UI.Api;

/// <summary>One field or line an error answer names.</summary>
public sealed record ProblemError(long? Line, string? Field, string Message);

/// <summary>An RFC 7807 answer of the control plane, reduced to what a person reads.</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail, IReadOnlyList<ProblemError> Errors)
{
    public static ApiProblem Parse(HttpStatusCode status, string? reason, string body)
    {
        var title = string.IsNullOrWhiteSpace(reason) ? status.ToString() : reason;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ApiProblem((int)status, title, null, []);
            }

            var errors = new List<ProblemError>();
            if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var error in list.EnumerateArray())
                {
                    errors.Add(new ProblemError(
                        error.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? line.GetInt64() : null,
                        error.TryGetProperty("field", out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null,
                        error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString()! : ""));
                }
            }

            return new ApiProblem(
                (int)status,
                root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : title,
                root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null,
                errors);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page, an empty 401): the status says enough; the body is not shown.
            return new ApiProblem((int)status, title, null, []);
        }
    }
}

/// <summary>The control plane refused a request; <see cref="Problem"/> says why in its own words.</summary>
public sealed class ApiException(ApiProblem problem) : Exception(problem.Detail ?? problem.Title)
{
    public ApiProblem Problem { get; } = problem;
}
