using System.Net;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>Per-environment approval policy: publishes wait for approvals by someone other than the creator and for every warning's acknowledgement.</summary>
public sealed class ApprovalTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private HttpClient Admin => fixture.Client;

    [Fact]
    public async Task Without_a_policy_a_release_without_warnings_publishes_at_once()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var release = await Admin.CreateReleaseAsync(environment, await WarningFreeVersionsAsync());
        Assert.Empty((await Admin.ApprovalsAsync(release)).Warnings);

        var policy = await Admin.GetOkAsync<PolicyDto>($"/api/v1/environments/{environment}/policy");
        using var published = await Admin.PostPublishAsync(release);

        Assert.Equal((0, false, "admin"), (policy.RequiredApprovals, policy.CreatorMayApprove, policy.EmergencyRole));
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
    }

    [Fact]
    public async Task Without_a_policy_a_release_with_warnings_still_waits_until_an_approver_acknowledges_each()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        using var creator = await fixture.ClientAsAsync("olga", "operator");
        var release = await creator.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        var warnings = (await Admin.ApprovalsAsync(release)).Warnings.Select(w => w.Id).ToList();
        Assert.NotEmpty(warnings);

        using var refused = await creator.PostPublishAsync(release);
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
        Assert.Equal("Waiting for approval", problem.Title);
        Assert.Equal((0, 0), (problem.Json("approvalsRequired").GetInt32(), problem.Json("approvalsGiven").GetInt32()));
        Assert.Equal(warnings, problem.Json("unacknowledgedWarnings").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("acknowledgement", problem.Detail, StringComparison.Ordinal);
        Assert.True((await Admin.GetOkAsync<ReleaseApprovalProbe>($"/api/v1/releases/{release}")).WaitingForApproval);

        // The creator cannot acknowledge their own release's warnings (the policy's default), an approver can.
        using var creatorApprover = await fixture.ClientAsAsync("olga", "approver");
        await Problem.ReadAsync(await creatorApprover.PostApprovalAsync(release, "mine", [.. warnings]), HttpStatusCode.Forbidden);
        using var approver = await fixture.ClientAsAsync("pete", "approver");
        var unread = await approver.ApproveAsync(release, "approved without reading the warnings");
        Assert.Equal((false, 1), (unread.Satisfied, unread.Given));
        Assert.Equal(warnings, unread.UnacknowledgedWarnings);
        using (var stillRefused = await creator.PostPublishAsync(release))
        {
            await Problem.ReadAsync(stillRefused, HttpStatusCode.Conflict);
        }

        using var colleague = await fixture.ClientAsAsync("pete-colleague", "approver");
        Assert.True((await colleague.ApproveAsync(release, "read them", [.. warnings])).Satisfied);

        using var published = await creator.PostPublishAsync(release);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
    }

    [Fact]
    public async Task An_emergency_publish_may_skip_unacknowledged_warnings_and_the_audit_entry_names_them()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        using var creator = await fixture.ClientAsAsync("quinn", "operator");
        var release = await creator.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        var warnings = (await Admin.ApprovalsAsync(release)).Warnings.Select(w => w.Id).ToList();
        Assert.NotEmpty(warnings);

        // The policy's emergency role is admin: an operator may not, and the admin must say why.
        using var notAllowed = await creator.PostPublishAsync(release, new { emergency = true, reason = "hurry" });
        await Problem.ReadAsync(notAllowed, HttpStatusCode.Forbidden);
        using var noReason = await Admin.PostPublishAsync(release, new { emergency = true });
        await Problem.ReadAsync(noReason, HttpStatusCode.BadRequest);
        using var published = await Admin.PostPublishAsync(release, new { emergency = true, reason = "competitor matched our prices" });
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);

        var entry = (await Admin.AuditAsync($"environment={environment}&kind=release.publish.emergency")).Items.Single();
        Assert.Equal((ControlPlaneFixture.AdminName, "competitor matched our prices"), (entry.Actor, entry.Reason));
        var bypassed = entry.After!.Value.GetProperty("bypassed");
        Assert.Equal(warnings, bypassed.GetProperty("unacknowledgedWarnings").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, bypassed.GetProperty("approvalsRequired").GetInt32());
    }

    /// <summary>Stock and product of the catalogue: first versions of their datasets, which carry no warning.</summary>
    private async Task<Dictionary<string, int>> WarningFreeVersionsAsync()
    {
        var versions = await Admin.ImportCatalogueAsync();
        return new Dictionary<string, int> { ["stock"] = versions["stock"], ["product"] = versions["product"] };
    }

    [Fact]
    public async Task A_publish_waits_for_a_second_persons_approval_and_then_goes()
    {
        var (environment, release, creator) = await GatedReleaseAsync(requiredApprovals: 1);
        using var approver = await fixture.ClientAsAsync("amy", "approver");

        using var refused = await creator.PostPublishAsync(release);
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
        Assert.Equal(1, problem.Json("approvalsRequired").GetInt32());
        Assert.Equal(0, problem.Json("approvalsGiven").GetInt32());
        Assert.Contains("approval", problem.Detail, StringComparison.Ordinal);
        var waiting = await Admin.ReleaseAsync(release);
        Assert.Equal("Pending", waiting.State);
        Assert.Null(waiting.Publication);
        Assert.True((await Admin.GetOkAsync<ReleaseApprovalProbe>($"/api/v1/releases/{release}")).WaitingForApproval);

        var state = await approver.ApproveAsync(release, "looks right", [.. (await Admin.ApprovalsAsync(release)).Warnings.Select(w => w.Id)]);
        Assert.True(state.Satisfied);
        Assert.Equal(("amy", "approver", "looks right"), (state.Approvals[0].Approver, state.Approvals[0].Role, state.Approvals[0].Comment));
        Assert.False((await Admin.GetOkAsync<ReleaseApprovalProbe>($"/api/v1/releases/{release}")).WaitingForApproval);

        using var published = await creator.PostPublishAsync(release);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var audit = await Admin.AuditAsync($"environment={environment}");
        Assert.Equal(
            [("release.publish", "carl"), ("release.approve", "amy"), ("release.create", "carl"), ("environment.policy", ControlPlaneFixture.AdminName),
             ("environment.create", ControlPlaneFixture.AdminName)],
            audit.Items.Select(e => (e.Kind, e.Actor)));
    }

    [Fact]
    public async Task An_approver_cannot_approve_their_own_release_unless_the_policy_allows_it()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        await Admin.PutPolicyAsync(environment, requiredApprovals: 1);
        using var both = await fixture.ClientAsAsync("dana", "admin");
        var release = await both.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());

        using var own = await both.PostApprovalAsync(release);
        Assert.Contains("created release", (await Problem.ReadAsync(own, HttpStatusCode.Forbidden)).Detail, StringComparison.Ordinal);
        Assert.Empty((await Admin.ApprovalsAsync(release)).Approvals);

        await Admin.PutPolicyAsync(environment, requiredApprovals: 1, creatorMayApprove: true);
        var state = await both.ApproveAsync(release, null, [.. (await Admin.ApprovalsAsync(release)).Warnings.Select(w => w.Id)]);
        Assert.Equal(1, state.Given);

        // When the policy forbids it again, the creator's approval stops counting.
        await Admin.PutPolicyAsync(environment, requiredApprovals: 1, creatorMayApprove: false);
        Assert.Equal(0, (await Admin.ApprovalsAsync(release)).Given);
    }

    [Fact]
    public async Task Two_required_approvals_need_two_different_approvers_and_the_same_one_twice_is_409()
    {
        var (_, release, creator) = await GatedReleaseAsync(requiredApprovals: 2);
        using var amy = await fixture.ClientAsAsync("amy2", "approver");
        using var ben = await fixture.ClientAsAsync("ben2", "approver");
        var warnings = (await Admin.ApprovalsAsync(release)).Warnings.Select(w => w.Id).ToArray();

        await amy.ApproveAsync(release, null, warnings);
        using var twice = await amy.PostApprovalAsync(release);
        await Problem.ReadAsync(twice, HttpStatusCode.Conflict);
        using var stillRefused = await creator.PostPublishAsync(release);
        Assert.Equal(1, (await Problem.ReadAsync(stillRefused, HttpStatusCode.Conflict)).Json("approvalsGiven").GetInt32());

        await ben.ApproveAsync(release);
        using var published = await creator.PostPublishAsync(release);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
    }

    [Fact]
    public async Task Every_guardrail_warning_must_be_acknowledged_by_an_approver()
    {
        var (_, release, creator) = await GatedReleaseAsync(requiredApprovals: 1);
        using var approver = await fixture.ClientAsAsync("ivy", "approver");
        var warnings = (await Admin.ApprovalsAsync(release)).Warnings;
        Assert.NotEmpty(warnings);

        using var unknown = await approver.PostApprovalAsync(release, null, "price:999:made-up");
        Assert.Equal("acknowledgeWarnings", Assert.Single((await Problem.ReadAsync(unknown, HttpStatusCode.BadRequest)).Errors).Field);

        var state = await approver.ApproveAsync(release, "approved, warnings not read");
        Assert.Equal(1, state.Given);
        Assert.Equal(warnings.Select(w => w.Id), state.UnacknowledgedWarnings);
        using var refused = await creator.PostPublishAsync(release);
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
        Assert.Equal(warnings.Select(w => w.Id), problem.Json("unacknowledgedWarnings").EnumerateArray().Select(e => e.GetString()));

        using var second = await fixture.ClientAsAsync("ivy-colleague", "approver");
        await second.ApproveAsync(release, "read them", [.. warnings.Select(w => w.Id)]);
        using var published = await creator.PostPublishAsync(release);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
    }

    [Fact]
    public async Task An_emergency_publish_skips_approvals_for_the_allowed_role_with_a_reason_and_is_audited()
    {
        var (environment, release, creator) = await GatedReleaseAsync(requiredApprovals: 1, emergencyRole: "operator");

        using var noReason = await creator.PostPublishAsync(release, new { emergency = true });
        Assert.Equal("reason", Assert.Single((await Problem.ReadAsync(noReason, HttpStatusCode.BadRequest)).Errors).Field);
        using var viewer = await fixture.ClientAsAsync("vince", "viewer");
        using var viewerTry = await viewer.PostPublishAsync(release, new { emergency = true, reason = "x" });
        await Problem.ReadAsync(viewerTry, HttpStatusCode.Forbidden);

        using var published = await creator.PostPublishAsync(release, new { emergency = true, reason = "prices wrong on the live site" });
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var entry = (await Admin.AuditAsync($"environment={environment}&kind=release.publish.emergency")).Items.Single();
        Assert.Equal(("carl", $"release:{release}", "prices wrong on the live site"), (entry.Actor, entry.Target, entry.Reason));
    }

    [Fact]
    public async Task An_emergency_publish_by_a_role_the_policy_does_not_name_is_403()
    {
        var (_, release, creator) = await GatedReleaseAsync(requiredApprovals: 1, emergencyRole: "admin");

        using var refused = await creator.PostPublishAsync(release, new { emergency = true, reason = "hurry" });

        Assert.Contains("emergency", (await Problem.ReadAsync(refused, HttpStatusCode.Forbidden)).Detail, StringComparison.Ordinal);
        Assert.Equal("Pending", (await Admin.ReleaseAsync(release)).State);
    }

    [Theory]
    [InlineData("""{"requiredApprovals":11}""", "requiredApprovals")]
    [InlineData("""{"requiredApprovals":-1}""", "requiredApprovals")]
    [InlineData("""{}""", "requiredApprovals")]
    [InlineData("""{"requiredApprovals":1,"emergencyRole":"root"}""", "emergencyRole")]
    [InlineData("""{"requiredApprovals":1,"reason":"a\u0000b"}""", "reason")]
    public async Task A_malformed_policy_is_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var environment = await Admin.NewEnvironmentAsync("east");

        using var response = await Admin.PutAsync($"/api/v1/environments/{environment}/policy", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Null((await Admin.GetOkAsync<PolicyDto>($"/api/v1/environments/{environment}/policy")).UpdatedBy);
    }

    [Fact]
    public async Task Only_admins_set_policies_and_only_approvers_or_admins_approve()
    {
        var (environment, release, creator) = await GatedReleaseAsync(requiredApprovals: 1);

        using var policy = await creator.PutAsync($"/api/v1/environments/{environment}/policy", System.Net.Http.Json.JsonContent.Create(new { requiredApprovals = 0 }));
        await Problem.ReadAsync(policy, HttpStatusCode.Forbidden);
        using var approval = await creator.PostApprovalAsync(release);
        await Problem.ReadAsync(approval, HttpStatusCode.Forbidden);
        Assert.Equal(1, (await Admin.GetOkAsync<PolicyDto>($"/api/v1/environments/{environment}/policy")).RequiredApprovals);
    }

    /// <summary>An environment with the policy and a release created by operator "carl" (whose client is returned).</summary>
    private async Task<(string Environment, long Release, HttpClient Creator)> GatedReleaseAsync(int requiredApprovals, string? emergencyRole = "admin")
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        await Admin.PutPolicyAsync(environment, requiredApprovals, emergencyRole: emergencyRole);
        var creator = await fixture.ClientAsAsync("carl", "operator");
        var release = await creator.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        return (environment, release, creator);
    }

    private sealed record ReleaseApprovalProbe(bool WaitingForApproval, ApprovalStateDto Approval);
}
