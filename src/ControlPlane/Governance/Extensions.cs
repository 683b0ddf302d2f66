namespace ControlPlane.Governance;

/// <summary>Pins, approval policies and approvals.</summary>
public static class GovernanceExtensions
{
    public static IServiceCollection AddGovernance(this IServiceCollection services)
    {
        services.AddSingleton<PinStore>();
        services.AddSingleton<ApprovalStore>();
        services.AddSingleton<PublishGate>();
        return services;
    }
}
