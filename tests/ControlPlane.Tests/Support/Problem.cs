using System.Net;
using System.Text.Json;

namespace ControlPlane.Tests.Support;

public sealed record ProblemError(long? Line, string? Field, string Message);

/// <summary>An RFC 7807 answer as read from the wire.</summary>
public sealed record Problem(int Status, string Title, string? Detail, IReadOnlyList<ProblemError> Errors, long? ErrorCount, JsonElement Raw)
{
    /// <summary>Asserts the status and the RFC 7807 shape (media type, status and title members) and reads the answer.</summary>
    public static async Task<Problem> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} {expected} but got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.Clone();
        Assert.Equal((int)expected, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()), "a problem has a title");
        var errors = new List<ProblemError>();
        if (root.TryGetProperty("errors", out var list))
        {
            foreach (var error in list.EnumerateArray())
            {
                errors.Add(new ProblemError(
                    error.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? line.GetInt64() : null,
                    error.TryGetProperty("field", out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null,
                    error.GetProperty("message").GetString()!));
            }
        }

        return new Problem(
            root.GetProperty("status").GetInt32(),
            root.GetProperty("title").GetString()!,
            root.TryGetProperty("detail", out var detail) ? detail.GetString() : null,
            errors,
            root.TryGetProperty("errorCount", out var count) ? count.GetInt64() : null,
            root);
    }
}
