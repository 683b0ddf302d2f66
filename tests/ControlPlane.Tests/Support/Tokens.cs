using System.Net;
using System.Net.Http.Json;

namespace ControlPlane.Tests.Support;

public sealed record TokenInfoDto(
    long Id, string Name, string Role, string? AgentId, string Kind, string Prefix, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? RevokedBy, DateTimeOffset? LastUsedAt);

public sealed record CreatedTokenDto(string Token, TokenInfoDto Info);

public static class Tokens
{
    /// <summary>Makes a token through the API with an admin client; returns the answer (token shown once).</summary>
    public static async Task<CreatedTokenDto> CreateTokenInfoAsync(
        this HttpClient admin, string name, string role, string? agentId = null, DateTimeOffset? expiresAt = null)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { name, role, agentId, expiresAt }, Http.Json);
        return await Http.ReadAsync<CreatedTokenDto>(response, HttpStatusCode.Created);
    }

    public static async Task<string> CreateTokenAsync(this HttpClient admin, string name, string role, string? agentId = null, DateTimeOffset? expiresAt = null) =>
        (await admin.CreateTokenInfoAsync(name, role, agentId, expiresAt)).Token;
}
