using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Governance;

public sealed class PinStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<PinInfo>> ActiveAsync(string environment, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ActiveAsync(connection, environment, cancellationToken);
    }

    /// <summary>Active pins of every environment, by environment.</summary>
    public async Task<ILookup<string, PinInfo>> AllActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await ReadAsync(connection, null, cancellationToken)).ToLookup(p => p.Environment, StringComparer.Ordinal);
    }

    public static Task<IReadOnlyList<PinInfo>> ActiveAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken) =>
        ReadAsync(connection, environment, cancellationToken);

    internal static async Task<PinInfo?> GetAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT id, environment, agent_group, reason, created_at, created_by FROM pins WHERE id = @id AND removed_at IS NULL", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static async Task<IReadOnlyList<PinInfo>> ReadAsync(NpgsqlConnection connection, string? environment, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            """
            SELECT id, environment, agent_group, reason, created_at, created_by FROM pins
            WHERE removed_at IS NULL AND (@env::text IS NULL OR environment = @env) ORDER BY id
            """, ("env", environment));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pins = new List<PinInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pins.Add(Read(reader));
        }

        return pins;
    }

    private static PinInfo Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetNullableString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5));

    /// <summary>"pin 3 of prod (group east) by alice at ...: reason"; how refusals name a pin.</summary>
    public static string Describe(PinInfo pin) =>
        $"pin {pin.Id} of '{pin.Environment}'{(pin.Group is null ? "" : $" (group '{pin.Group}')")} by {pin.CreatedBy} at {pin.CreatedAt:O}: {pin.Reason}";
}
