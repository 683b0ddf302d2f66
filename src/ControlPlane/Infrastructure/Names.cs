using System.Text.RegularExpressions;

namespace ControlPlane.Infrastructure;

/// <summary>The shapes of names that end up in Redis keys and URLs.</summary>
public static partial class Names
{
    public static bool IsEnvironmentOrGroup(string name) => EnvironmentPattern().IsMatch(name);

    public static bool IsAgentId(string id) => AgentIdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex EnvironmentPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
    private static partial Regex AgentIdPattern();
}
