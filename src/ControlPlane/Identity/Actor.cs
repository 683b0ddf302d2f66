namespace ControlPlane.Identity;

/// <summary>Who is making a request: the name of the authenticated token or user. Every change is recorded under it.</summary>
public static class Actor
{
    /// <summary>Shown for requests on endpoints that allow anonymous access (none of them change anything).</summary>
    public const string Anonymous = "anonymous";

    public static string Of(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : Anonymous;

    public static string? RoleOf(HttpContext context) => context.User.Role();
}
