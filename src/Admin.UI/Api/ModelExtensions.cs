using ControlPlane.Client;

namespace Admin.UI.Api;

/// <summary>What the pages derive from the API's records.</summary>
public static class ModelExtensions
{
    /// <summary>How far an agent is with staging, 0 to 100.</summary>
    public static double Percent(this PublicationAgent agent) =>
        agent.Phase is "Staged" or "Switched" ? 100
        : agent.RecordsTotal <= 0 ? 0
        : Math.Min(100, agent.RecordsStaged * 100.0 / agent.RecordsTotal);

    public static long Total(this DiffPage page) => page.Added + page.Changed + page.Removed;

    public static string Name(this DiffChange change) => change.ToString().ToLowerInvariant();
}
