namespace ControlPlane.Environments;

/// <summary>Environments and their agent groups declared in configuration, created on start if missing.</summary>
public sealed class EnvironmentOptions
{
    public const string SectionName = "Environments";

    /// <summary>Environment name to its agent group names, e.g. <c>"prod": ["east", "west"]</c>.</summary>
    public Dictionary<string, string[]> Declared { get; set; } = new(StringComparer.Ordinal);
}
