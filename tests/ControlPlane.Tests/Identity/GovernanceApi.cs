using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

public sealed record PolicyDto(int RequiredApprovals, bool CreatorMayApprove, string? EmergencyRole, DateTimeOffset? UpdatedAt, string? UpdatedBy);

public sealed record PinDto(long Id, string Environment, string? Group, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record WarningDto(string Id, string Dataset, int Version, string Code, string Message);

public sealed record ApprovalDto(string Approver, string Role, DateTimeOffset ApprovedAt, string? Comment, List<string> AcknowledgedWarnings);

public sealed record ApprovalStateDto(int Required, int Given, bool CreatorMayApprove, List<ApprovalDto> Approvals, List<WarningDto> Warnings,
    List<string> UnacknowledgedWarnings, bool Satisfied);

/// <summary>Policies, pins and approvals as the tests call them.</summary>
public static class GovernanceApi
{
    public static async Task<PolicyDto> PutPolicyAsync(this HttpClient admin, string environment, int requiredApprovals, bool creatorMayApprove = false,
        string? emergencyRole = "admin")
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/environments/{environment}/policy",
            new { requiredApprovals, creatorMayApprove, emergencyRole, reason = "test policy" }, Http.Json);
        return await Http.ReadAsync<PolicyDto>(response, HttpStatusCode.OK);
    }

    public static Task<HttpResponseMessage> PostApprovalAsync(this HttpClient client, long release, string? comment = null, params string[] acknowledge) =>
        client.PostAsJsonAsync($"/api/v1/releases/{release}/approvals", new { comment, acknowledgeWarnings = acknowledge }, Http.Json);

    public static async Task<ApprovalStateDto> ApproveAsync(this HttpClient client, long release, string? comment = null, params string[] acknowledge)
    {
        using var response = await client.PostApprovalAsync(release, comment, acknowledge);
        return await Http.ReadAsync<ApprovalStateDto>(response, HttpStatusCode.Created);
    }

    public static Task<ApprovalStateDto> ApprovalsAsync(this HttpClient client, long release) =>
        client.GetOkAsync<ApprovalStateDto>($"/api/v1/releases/{release}/approvals");

    public static Task<HttpResponseMessage> PostPublishAsync(this HttpClient client, long release, object? body = null) =>
        body is null ? client.PostAsync($"/api/v1/releases/{release}/publish", null) : client.PostAsJsonAsync($"/api/v1/releases/{release}/publish", body, Http.Json);

    public static async Task<PinDto> PinAsync(this HttpClient admin, string environment, string reason, string? group = null)
    {
        using var response = await admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { group, reason }, Http.Json);
        return await Http.ReadAsync<PinDto>(response, HttpStatusCode.Created);
    }

    public static async Task<AuditPageDto> AuditAsync(this HttpClient client, string query) =>
        await client.GetOkAsync<AuditPageDto>("/api/v1/audit?" + query);

    public static JsonElement Json(this Problem problem, string member) => problem.Raw.GetProperty(member);
}
