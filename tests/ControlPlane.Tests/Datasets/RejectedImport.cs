using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>Asserts that an import is refused with exactly the expected (line, field) errors and stores nothing.</summary>
public static class RejectedImport
{
    public static async Task<Problem> AssertAsync(
        HttpClient client, TestDatabase database, string dataset, string body, string query, string contentType, params (long? Line, string? Field)[] expected)
    {
        var versionsBefore = await client.AllVersionsAsync(dataset);
        var rowsBefore = await database.CountRowsAsync("records");

        using var response = await client.PostVersionAsync(dataset, body, query, contentType);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(expected, problem.Errors.Select(e => (e.Line, e.Field)));
        Assert.Equal(expected.Length, problem.ErrorCount);
        Assert.All(problem.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        Assert.Equal(versionsBefore.Select(v => v.Version), (await client.AllVersionsAsync(dataset)).Select(v => v.Version));
        Assert.Equal(rowsBefore, await database.CountRowsAsync("records"));
        return problem;
    }
}
