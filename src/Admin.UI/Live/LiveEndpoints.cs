using Admin.UI.Components.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Admin.UI.Live;

/// <summary>
/// The live parts of pages, rendered on the server as HTML fragments. wwwroot/live.js fetches them again every
/// second and swaps them in (docs/decisions.md, "Admin UI"): no framework script, no circuit to lose.
/// </summary>
public static class LiveEndpoints
{
    public const string Prefix = "/ui/live";

    public static IEndpointRouteBuilder MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).RequireAuthorization().DisableAntiforgery();
        group.MapGet("/environments", () => Fragment<EnvironmentsLive>(new()));
        group.MapGet("/environments/{name}", (string name) =>
            Fragment<EnvironmentLive>(new() { [nameof(EnvironmentLive.Name)] = name }));
        group.MapGet("/publications/{id:long}", (long id) =>
            Fragment<PublicationLive>(new() { [nameof(PublicationLive.Id)] = id }));
        group.MapGet("/releases/{id:long}", (long id) =>
            Fragment<ReleaseLive>(new() { [nameof(ReleaseLive.Id)] = id }));
        group.MapGet("/schedules", (string? environment) =>
            Fragment<ScheduleListLive>(new() { [nameof(ScheduleListLive.Environment)] = environment }));
        group.MapGet("/schedules/{id:long}", (long id) =>
            Fragment<ScheduleLive>(new() { [nameof(ScheduleLive.Id)] = id }));
        return app;
    }

    /// <summary>Where a page's live part refreshes from.</summary>
    public static string EnvironmentsUrl => $"{Prefix}/environments";

    public static string EnvironmentUrl(string name) => $"{Prefix}/environments/{Uri.EscapeDataString(name)}";

    public static string PublicationUrl(long id) => $"{Prefix}/publications/{id}";

    public static string ReleaseUrl(long id) => $"{Prefix}/releases/{id}";

    public static string SchedulesUrl(string? environment) =>
        string.IsNullOrEmpty(environment) ? $"{Prefix}/schedules" : $"{Prefix}/schedules?environment={Uri.EscapeDataString(environment)}";

    public static string ScheduleUrl(long id) => $"{Prefix}/schedules/{id}";

    private static RazorComponentResult<T> Fragment<T>(Dictionary<string, object?> parameters)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        new(parameters) { PreventStreamingRendering = true };
}
