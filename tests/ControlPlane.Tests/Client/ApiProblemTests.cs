using System.Net;
using ControlPlane.Client;

namespace ControlPlane.Tests.Client;

/// <summary>Error answers that are not this API's problems (a proxy's page, ASP.NET's validation shape) still read as problems.</summary>
public sealed class ApiProblemTests
{
    [Fact]
    public void A_body_that_is_not_json_keeps_the_status_and_reason_and_shows_the_text()
    {
        var problem = ApiProblem.Parse(HttpStatusCode.BadGateway, "Bad Gateway", "<html>upstream down</html>");

        Assert.Equal((502, "Bad Gateway", "<html>upstream down</html>"), (problem.Status, problem.Title, problem.Detail));
        Assert.Empty(problem.Errors);
    }

    [Fact]
    public void An_empty_body_gives_the_status_name_as_title()
    {
        var problem = ApiProblem.Parse(HttpStatusCode.Unauthorized, null, "");

        Assert.Equal((401, "Unauthorized", null), (problem.Status, problem.Title, problem.Detail));
    }

    [Fact]
    public void Validation_errors_keyed_by_field_and_unknown_members_are_kept()
    {
        var problem = ApiProblem.Parse(HttpStatusCode.BadRequest, "Bad Request",
            """{"title":"One or more validation errors occurred.","status":400,"errors":{"note":["too long","bad character"]},"traceId":"abc"}""");

        Assert.Equal([("note", "too long"), ("note", "bad character")], problem.Errors.Select(e => (e.Field!, e.Message)));
        Assert.Equal("abc", problem.Extensions["traceId"].GetString());
    }
}
