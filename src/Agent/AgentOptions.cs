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

    /// <summary>Stable across restarts: the control plane tracks what this agent holds by it.</summary>
    [Required]
    public string AgentId { get; set; } = System.Environment.MachineName;

    /// <summary>StackExchange.Redis configuration string of the Redis this agent writes, e.g. "127.0.0.1:56379".</summary>
    [Required]
    public string Redis { get; set; } = "127.0.0.1:56379";

    /// <summary>Sent as <c>Authorization: Bearer</c>; empty sends none (a control plane without agent tokens).</summary>
    public string Token { get; set; } = "";

    /// <summary>Seconds between reports when nothing happens; 0 takes the control plane's value from registration.</summary>
    [Range(0, 3600)]
    public int HeartbeatSeconds { get; set; }

    /// <summary>Change lines fetched and written per chunk (one Lua script each).</summary>
    [Range(1, 50_000)]
    public int ChunkSize { get; set; } = 5000;

    /// <summary>Datasets whose live changes this agent pulls and applies (comma separated); empty pulls none.</summary>
    public string ChangeDatasets { get; set; } = "price,stock,product";

    /// <summary>Live changes fetched per pull at most.</summary>
    [Range(1, 50_000)]
    public int ChangePageSize { get; set; } = 5000;

    /// <summary>How long a change pull is held by the control plane when nothing is new (capped by its Agents:LongPollSeconds).</summary>
    [Range(0, 300)]
    public int ChangeWaitSeconds { get; set; } = 20;
}
