namespace AdminUi.Tests.Support;

/// <summary>The people the tests sign in as.</summary>
public static class Users
{
    public const string Operator = "olivia";
    public const string OperatorPassword = "operator-password-1";
    public const string Viewer = "victor";
    public const string ViewerPassword = "viewer-password-1";
}
