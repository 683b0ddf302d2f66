using System.Net;
using System.Text.Json;

namespace ControlPlane.Client;

/// <summary>One problem named by an error answer: the line of an import body and/or the field or parameter at fault.</summary>
public sealed record ProblemFieldError(long? Line, string? Field, string Message);

/// <summary>An RFC 7807 answer of the control plane, as read from the wire.</summary>
public sealed record ApiProblem(
    int Status,
    string Title,
    string? Detail,
    string? Type,
    IReadOnlyList<ProblemFieldError> Errors,
    long? ErrorCount,
    IReadOnlyDictionary<string, JsonElement> Extensions)
{
    private static readonly HashSet<string> Known = ["status", "title", "detail", "type", "errors", "errorCount"];

    /// <summary>
    /// Reads a problem from an error answer's body. A body that is not a problem (a proxy's HTML page, an empty
    /// 401) still gives a problem with the HTTP status and its reason phrase as the title.
    /// </summary>
    public static ApiProblem Parse(HttpStatusCode status, string? reasonPhrase, string body)
    {
        var fallbackTitle = string.IsNullOrWhiteSpace(reasonPhrase) ? status.ToString() : reasonPhrase;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            var text = body.Trim();
            return new ApiProblem((int)status, fallbackTitle, text.Length == 0 ? null : Shorten(text), null, [], null,
                new Dictionary<string, JsonElement>());
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new ApiProblem((int)status, fallbackTitle, Shorten(body.Trim()), null, [], null, new Dictionary<string, JsonElement>());
        }

        var extensions = new Dictionary<string, JsonElement>();
        foreach (var property in root.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
            {
                extensions[property.Name] = property.Value;
            }
        }

        return new ApiProblem(
            root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : (int)status,
            String(root, "title") ?? fallbackTitle,
            String(root, "detail"),
            String(root, "type"),
            ReadErrors(root),
            root.TryGetProperty("errorCount", out var count) && count.ValueKind == JsonValueKind.Number ? count.GetInt64() : null,
            extensions);
    }

    private static List<ProblemFieldError> ReadErrors(JsonElement root)
    {
        var errors = new List<ProblemFieldError>();
        if (!root.TryGetProperty("errors", out var list))
        {
            return errors;
        }

        if (list.ValueKind == JsonValueKind.Array)
        {
            // This API's shape: [{ "line": 3, "field": "amount", "message": "..." }].
            foreach (var error in list.EnumerateArray())
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    errors.Add(new ProblemFieldError(
                        error.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? line.GetInt64() : null,
                        String(error, "field"),
                        String(error, "message") ?? error.GetRawText()));
                }
                else if (error.ValueKind == JsonValueKind.String)
                {
                    errors.Add(new ProblemFieldError(null, null, error.GetString()!));
                }
            }
        }
        else if (list.ValueKind == JsonValueKind.Object)
        {
            // ASP.NET Core's validation shape: { "field": ["message", ...] }.
            foreach (var field in list.EnumerateObject())
            {
                var messages = field.Value.ValueKind == JsonValueKind.Array ? field.Value.EnumerateArray() : default;
                foreach (var message in messages)
                {
                    errors.Add(new ProblemFieldError(null, field.Name, message.ToString()));
                }
            }
        }

        return errors;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "...";
}

/// <summary>The control plane answered with an error; <see cref="Problem"/> holds its ProblemDetails.</summary>
public sealed class ApiProblemException : Exception
{
    public ApiProblemException(ApiProblem problem, string method, string path)
        : base($"{method} {path} answered {problem.Status} {problem.Title}" + (problem.Detail is { } d ? ": " + d : "."))
    {
        Problem = problem;
    }

    public ApiProblem Problem { get; }

    public int Status => Problem.Status;

    public string Title => Problem.Title;

    public string? Detail => Problem.Detail;

    public IReadOnlyList<ProblemFieldError> Errors => Problem.Errors;
}
