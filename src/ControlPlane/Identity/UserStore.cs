using ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Identity;

/// <summary>A UI user as the API shows one (never the password hash).</summary>
public sealed record UserInfo(string Username, string Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DisabledAt);

public sealed class UserStore(NpgsqlDataSource dataSource, IOptions<IdentityOptions> options, TimeProvider time)
{
    // Verifying against this when the user does not exist takes as long as a real check, so timing does not tell
    // which usernames exist.
    private readonly Lazy<string> _decoy = new(() => PasswordHashing.Hash(Guid.NewGuid().ToString(), options.Value.PasswordIterations));

    public async Task<bool> CreateIfMissingAsync(string username, string password, string role, string createdBy, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await InsertAsync(connection, username, password, role, createdBy, cancellationToken) is not null;
    }

    /// <summary>Inserts a user; null when the username is taken.</summary>
    public async Task<UserInfo?> InsertAsync(
        NpgsqlConnection connection, string username, string password, string role, string createdBy, CancellationToken cancellationToken)
    {
        var hash = PasswordHashing.Hash(password, options.Value.PasswordIterations);
        var now = time.GetUtcNow();
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO users (username, password_hash, role, created_at, created_by) VALUES (@user, @hash, @role, @now, @by)
            ON CONFLICT (username) DO NOTHING
            """, cancellationToken, ("user", username), ("hash", hash), ("role", role), ("now", now), ("by", createdBy));
        return inserted == 0 ? null : new UserInfo(username, role, now, createdBy, null);
    }

    /// <summary>The user when the password is right and the user is enabled; else null.</summary>
    public async Task<UserInfo?> VerifyAsync(string username, string password, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT username, role, created_at, created_by, disabled_at, password_hash FROM users WHERE username = @user", ("user", username));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            PasswordHashing.Verify(password, _decoy.Value);
            return null;
        }

        var user = Read(reader);
        var valid = PasswordHashing.Verify(password, reader.GetString(5));
        return valid && user.DisabledAt is null ? user : null;
    }

    public async Task<IReadOnlyList<UserInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command("SELECT username, role, created_at, created_by, disabled_at FROM users ORDER BY username");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(Read(reader));
        }

        return users;
    }

    private static UserInfo Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.GetNullable<DateTimeOffset>(4));
}
