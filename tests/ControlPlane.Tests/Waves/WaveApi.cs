using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Waves;

public sealed record WaveDto(
    int Wave, List<string>? Groups, List<string> Agents, string State, long? Generation, DateTimeOffset? StartedAt, string? StartedBy,
    DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt, double? StagingSeconds, double? SwitchingSeconds);

/// <summary>A publication as the wire shows it, with the members waves add.</summary>
public sealed record WavedPublicationDto(
    long Id, long ReleaseId, string Environment, string State, long? Generation, long? PreviousReleaseId, string? Reason,
    int? CurrentWave, int? CanaryPercent, int? HoldSeconds, DateTimeOffset? HoldUntil, List<WaveDto>? Waves, List<PublicationAgentDto> Agents);

public sealed record WavedGroupDto(string Name, List<AgentDto> Agents, List<long> LiveReleases);

public sealed record WavedEnvironmentDto(string Name, ReleaseDto? LiveRelease, WavedPublicationDto? InFlight, List<WavedGroupDto> Groups);

/// <summary>Publish in waves, promote and abort as the tests call them.</summary>
public static class WaveApi
{
    public static Task<HttpResponseMessage> PostPublishAsync(this HttpClient client, long releaseId, object body) =>
        client.PostAsJsonAsync($"/api/v1/releases/{releaseId}/publish", body, Http.Json);

    public static async Task<WavedPublicationDto> PublishInWavesAsync(this HttpClient client, long releaseId, object body)
    {
        using var response = await client.PostPublishAsync(releaseId, body);
        return await Http.ReadAsync<WavedPublicationDto>(response, HttpStatusCode.Accepted);
    }

    public static Task<HttpResponseMessage> PostPromoteAsync(this HttpClient client, long releaseId) =>
        client.PostAsync($"/api/v1/releases/{releaseId}/promote", content: null);

    public static Task<HttpResponseMessage> PostAbortAsync(this HttpClient client, long releaseId, string? reason = null) =>
        reason is null
            ? client.PostAsync($"/api/v1/releases/{releaseId}/abort", content: null)
            : client.PostAsJsonAsync($"/api/v1/releases/{releaseId}/abort", new { reason }, Http.Json);

    public static async Task<WavedPublicationDto> PromoteAsync(this HttpClient client, long releaseId)
    {
        using var response = await client.PostPromoteAsync(releaseId);
        return await Http.ReadAsync<WavedPublicationDto>(response, HttpStatusCode.OK);
    }

    public static async Task<WavedPublicationDto> AbortAsync(this HttpClient client, long releaseId, string? reason = null)
    {
        using var response = await client.PostAbortAsync(releaseId, reason);
        return await Http.ReadAsync<WavedPublicationDto>(response, HttpStatusCode.OK);
    }

    public static async Task<WavedPublicationDto> WavedPublicationOfAsync(this HttpClient client, long releaseId)
    {
        var publication = await client.PublicationOfAsync(releaseId);
        return await client.GetOkAsync<WavedPublicationDto>($"/api/v1/publications/{publication.Id}");
    }

    public static Task<WavedEnvironmentDto> WavedEnvironmentAsync(this HttpClient client, string environment) =>
        client.GetOkAsync<WavedEnvironmentDto>($"/api/v1/environments/{environment}");
}
