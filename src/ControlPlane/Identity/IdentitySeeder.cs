using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Identity;

/// <summary>
/// At start, after the migrations: the configured tokens are made valid (by hash) and configured tokens no longer
/// configured are revoked; the configured first admin user is created when missing.
/// </summary>
public sealed partial class IdentitySeeder(
    TokenStore tokens, UserStore users, IOptions<IdentityOptions> options, ILogger<IdentitySeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var configured = new List<(string, string, string?, string)>();
        if (settings.BootstrapAdminToken.Length > 0)
        {
            configured.Add((settings.BootstrapAdminName, Roles.Admin, null, settings.BootstrapAdminToken));
        }

        configured.AddRange(settings.AgentTokens.Select(a => (a.AgentId, Roles.Agent, (string?)a.AgentId, a.Token)));
        try
        {
            await tokens.SyncConfiguredAsync(configured, cancellationToken);
            if (settings.Admin is { Username.Length: > 0, Password.Length: > 0 } admin
                && await users.CreateIfMissingAsync(admin.Username, admin.Password, Roles.Admin, "configuration", cancellationToken))
            {
                LogAdminCreated(admin.Username);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // As with the declared environments: an unreachable database must not keep the control plane from starting.
            LogSeedFailed(exception);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the configured admin user {Username}")]
    private partial void LogAdminCreated(string username);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying the configured tokens and users failed; they apply at the next start")]
    private partial void LogSeedFailed(Exception exception);
}
