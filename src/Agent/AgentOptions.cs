using System.ComponentModel.DataAnnotations;

namespace Agent;

public sealed class AgentOptions
{
    public const string SectionName = "Agent";

    [Required]
    public string ControlPlaneUrl { get; set; } = "http://127.0.0.1:5080";

    [Required]
    public string Environment { get; set; } = "prod";

    [Required]
    public string Group { get; set; } = "east";

    [Required]
    public string Redis { get; set; } = "127.0.0.1:56379";
}
