using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Identity;

/// <summary>Tokens and users made from configuration at start, and lifetimes.</summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>
    /// An admin token (any string of 16+ characters) accepted under the name <see cref="BootstrapAdminName"/>;
    /// only its hash is stored. Use it to make real tokens, then remove it: a configured token no longer in
    /// configuration is revoked at the next start.
    /// </summary>
    public string BootstrapAdminToken { get; set; } = "";

    public string BootstrapAdminName { get; set; } = "admin";

    /// <summary>Agent tokens from configuration, each bound to its agent id (what <c>Agent:Token</c> of that agent holds).</summary>
    public List<ConfiguredAgentToken> AgentTokens { get; set; } = [];

    /// <summary>The first UI admin: created at start when no user of that name exists (its password is never changed here).</summary>
    public ConfiguredUser? Admin { get; set; }

    /// <summary>Lifetime of the token a UI login returns.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long an Idempotency-Key is remembered.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>PBKDF2-SHA256 iterations for new password hashes (stored with each hash, so it can be raised later).</summary>
    [Range(10_000, 10_000_000)]
    public int PasswordIterations { get; set; } = 100_000;
}

public sealed class ConfiguredAgentToken
{
    public string AgentId { get; set; } = "";

    public string Token { get; set; } = "";
}

public sealed class ConfiguredUser
{
    public string Username { get; set; } = "";

    public string Password { get; set; } = "";
}
