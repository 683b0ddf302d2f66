namespace AdminUi.Tests.Support;

/// <summary>The people the tests sign in as (made through /api/v1/users for every deployment).</summary>
public static class Users
{
    public const string Operator = "olivia";
    public const string OperatorPassword = "operator-password-1";
    public const string Viewer = "victor";
    public const string ViewerPassword = "viewer-password-1";
    public const string Admin = "ada";
    public const string AdminPassword = "admin-password-12";

    public static readonly (string User, string Password, string Role)[] All =
    [
        (Operator, OperatorPassword, "operator"),
        (Viewer, ViewerPassword, "viewer"),
        (Admin, AdminPassword, "admin"),
    ];
}
