using ControlPlane.Contracts;

namespace Agent.Redis;

/// <summary>
/// Agent bookkeeping keys beside those of <see cref="RedisLayout"/>. Only the agent reads them, so they live
/// here rather than in the shared contracts.
/// </summary>
public static class AgentKeys
{
    /// <summary>STRING: the highest layer number ever handed out, so a number is never reused after its layer is dropped.</summary>
    public static string LayerSequence(string environment) => $"cp:{environment}:agent:layer-seq";

    /// <summary>HASH "dataset:L" -> LayerInfo JSON: layers out of retention whose members are being compacted.</summary>
    public static string Retiring(string environment) => $"cp:{environment}:agent:retiring";

    /// <summary>"cp:{env}:{dataset}:": record keys are this and "{SKU}" (<see cref="RedisLayout.RecordKey"/>), for scripts that build them.</summary>
    public static string RecordPrefix(string environment, string dataset) => RedisLayout.RecordKey(environment, dataset, "")[..^2];

    /// <summary>HASH dataset -> last applied sequence number of its live change log; "dataset:count" -> changes applied in all.</summary>
    public static string AppliedChanges(string environment) => $"cp:{environment}:agent:changes";
    /// <summary>STRING: the armed switch (<see cref="ArmedOrder"/> JSON), so a restarted agent still switches on time without the control plane.</summary>
    public static string Armed(string environment) => $"cp:{environment}:agent:armed";

    /// <summary>The field of a layer in the layers and retiring hashes.</summary>
    public static string LayerField(string dataset, int layer) => $"{dataset}:{layer}";
}
