using Microsoft.AspNetCore.Authorization;

namespace ControlPlane.Identity;

/// <summary>An agent token may only act for its own agent id: the route's <c>{id}</c>, where the route has one.</summary>
public sealed class AgentRouteRequirement : IAuthorizationRequirement;

public sealed class AgentRouteHandler : AuthorizationHandler<AgentRouteRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AgentRouteRequirement requirement)
    {
        var agentId = context.User.AgentIdOf();
        if (agentId is not null && context.User.IsInRole(Roles.Agent))
        {
            var routeId = (context.Resource as HttpContext)?.GetRouteValue("id") as string;
            if (routeId is null || string.Equals(routeId, agentId, StringComparison.Ordinal))
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}
