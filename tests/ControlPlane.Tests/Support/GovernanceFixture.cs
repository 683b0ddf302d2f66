namespace ControlPlane.Tests.Support;

/// <summary>The control plane as shipped for governance: every guardrail warning needs an approver's acknowledgement.</summary>
public sealed class GovernanceFixture : ControlPlaneFixture
{
    protected override bool RequireWarningAcknowledgement => true;
}
