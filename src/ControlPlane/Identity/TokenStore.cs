using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Identity;

/// <summary>A token that authenticated a request.</summary>
public sealed record AuthenticatedToken(long Id, string Name, string Role, string? AgentId, string Kind);

/// <summary>A token as lists show it: never the secret, nor its hash.</summary>
public sealed record TokenInfo(
    long Id, string Name, string Role, string? AgentId, string Kind, string Prefix, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? RevokedBy, DateTimeOffset? LastUsedAt);

public abstract record TokenLookup
{
    public sealed record Valid(AuthenticatedToken Token) : TokenLookup;

    public sealed record Unknown : TokenLookup;

    public sealed record Expired(DateTimeOffset At) : TokenLookup;

    public sealed record Revoked(DateTimeOffset At) : TokenLookup;
}

public sealed class TokenStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = "id, name, role, agent_id, kind, prefix, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at";

    /// <summary>Looks a presented token up by its hash; notes its use at most once a minute.</summary>
    public async Task<TokenLookup> FindAsync(string token, CancellationToken cancellationToken)
    {
        var hash = BearerTokens.Hash(token);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        TokenInfo? info;
        await using (var command = connection.Command($"SELECT {Columns} FROM api_tokens WHERE token_hash = @hash", ("hash", hash)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            info = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        var now = time.GetUtcNow();
        switch (info)
        {
            case null:
                return new TokenLookup.Unknown();
            case { RevokedAt: { } revoked }:
                return new TokenLookup.Revoked(revoked);
            case { ExpiresAt: { } expires } when expires <= now:
                return new TokenLookup.Expired(expires);
        }

        if (info.LastUsedAt is null || now - info.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            await connection.ExecuteAsync("UPDATE api_tokens SET last_used_at = @now WHERE id = @id", cancellationToken, ("now", now), ("id", info.Id));
        }

        return new TokenLookup.Valid(new AuthenticatedToken(info.Id, info.Name, info.Role, info.AgentId, info.Kind));
    }

    /// <summary>Makes a token and returns its secret, which is not kept anywhere.</summary>
    public async Task<(TokenInfo Info, string Secret)> CreateAsync(
        NpgsqlConnection connection, string name, string role, string? agentId, string kind, DateTimeOffset? expiresAt, string createdBy,
        CancellationToken cancellationToken)
    {
        var secret = BearerTokens.New();
        var info = await InsertAsync(connection, name, role, agentId, kind, secret, expiresAt, createdBy, cancellationToken);
        return (info, secret);
    }

    internal async Task<TokenInfo> InsertAsync(
        NpgsqlConnection connection, string name, string role, string? agentId, string kind, string secret, DateTimeOffset? expiresAt,
        string createdBy, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"""
            INSERT INTO api_tokens (name, role, agent_id, kind, token_hash, prefix, created_at, created_by, expires_at)
            VALUES (@name, @role, @agent, @kind, @hash, @prefix, @now, @by, @expires)
            RETURNING {Columns}
            """,
            ("name", name), ("role", role), ("agent", agentId), ("kind", kind), ("hash", BearerTokens.Hash(secret)),
            ("prefix", BearerTokens.DisplayPrefix(secret)), ("now", time.GetUtcNow()), ("by", createdBy), ("expires", expiresAt));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    /// <summary>
    /// Makes the configured tokens valid (inserted once, by hash) and revokes configured tokens no longer in
    /// configuration, so removing a bootstrap token from configuration ends it.
    /// </summary>
    internal async Task SyncConfiguredAsync(IReadOnlyList<(string Name, string Role, string? AgentId, string Secret)> configured, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var hashes = new List<byte[]>();
        foreach (var (name, role, agentId, secret) in configured)
        {
            var hash = BearerTokens.Hash(secret);
            hashes.Add(hash);
            // A hash seen before keeps its row: a configured token revoked through the API stays revoked.
            await connection.ExecuteAsync(
                """
                INSERT INTO api_tokens (name, role, agent_id, kind, token_hash, prefix, created_at, created_by)
                VALUES (@name, @role, @agent, 'configured', @hash, '', @now, 'configuration')
                ON CONFLICT (token_hash) DO NOTHING
                """, cancellationToken, ("name", name), ("role", role), ("agent", agentId), ("hash", hash), ("now", now));
        }

        await connection.ExecuteAsync(
            """
            UPDATE api_tokens SET revoked_at = @now, revoked_by = 'configuration'
            WHERE kind = 'configured' AND revoked_at IS NULL AND NOT (token_hash = ANY (@hashes))
            """, cancellationToken, ("now", now), ("hashes", hashes.ToArray()));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TokenInfo>> ListAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            $"""
            SELECT {Columns} FROM api_tokens
            WHERE @all OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now))
            ORDER BY id
            """, ("all", includeInactive), ("now", time.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<TokenInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(Read(reader));
        }

        return tokens;
    }

    public async Task<TokenInfo?> GetAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command($"SELECT {Columns} FROM api_tokens WHERE id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Revokes a token; false when it was revoked already. The caller's transaction holds the change.</summary>
    public async Task<bool> RevokeAsync(NpgsqlConnection connection, long id, string revokedBy, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(
            "UPDATE api_tokens SET revoked_at = @now, revoked_by = @by WHERE id = @id AND revoked_at IS NULL",
            cancellationToken, ("now", time.GetUtcNow()), ("by", revokedBy), ("id", id)) > 0;

    private static TokenInfo Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetNullableString(3), reader.GetString(4), reader.GetString(5),
        reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetNullable<DateTimeOffset>(8), reader.GetNullable<DateTimeOffset>(9),
        reader.GetNullableString(10), reader.GetNullable<DateTimeOffset>(11));
}
