using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace ControlPlane.Identity;

/// <summary>Bearer token authentication, the role policies, tokens, users and the audit log.</summary>
public static class IdentityExtensions
{
    public static IServiceCollection AddControlPlaneIdentity(this IServiceCollection services)
    {
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.BootstrapAdminToken.Length is 0 or >= 16, "Identity:BootstrapAdminToken must be at least 16 characters.")
            .Validate(o => TokensApi.NamePattern().IsMatch(o.BootstrapAdminName), "Identity:BootstrapAdminName is not a valid name.")
            .Validate(o => o.AgentTokens.All(a => Names.IsAgentId(a.AgentId) && a.Token.Length >= 16),
                "Each of Identity:AgentTokens needs a valid AgentId and a Token of at least 16 characters.")
            .Validate(o => o.Admin is null || o.Admin.Username.Length == 0
                    || (TokensApi.NamePattern().IsMatch(o.Admin.Username) && o.Admin.Password.Length >= AuthApi.MinPasswordLength),
                $"Identity:Admin needs a valid Username and a Password of at least {AuthApi.MinPasswordLength} characters.")
            .ValidateOnStart();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<AuditLog>();
        services.AddHostedService<IdentitySeeder>();

        // No default authenticate scheme: tokens are checked only where a policy asks (each names the scheme), so
        // anonymous endpoints such as /health/live never touch PostgreSQL for a token.
        services.AddAuthentication(o =>
            {
                o.DefaultChallengeScheme = BearerTokenHandler.SchemeName;
                o.DefaultForbidScheme = BearerTokenHandler.SchemeName;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationHandler, AgentRouteHandler>();
        var admin = Role(Roles.Admin);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Viewer, Role(Roles.Viewer, Roles.Operator, Roles.Approver, Roles.Admin))
            .AddPolicy(Policies.Operator, Role(Roles.Operator, Roles.Admin))
            .AddPolicy(Policies.Approver, Role(Roles.Approver, Roles.Admin))
            .AddPolicy(Policies.Admin, admin)
            .AddPolicy(Policies.Agent, new AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser().RequireRole(Roles.Agent).AddRequirements(new AgentRouteRequirement()).Build())
            .AddPolicy(Policies.ViewerOrAgent, Role(Roles.Viewer, Roles.Operator, Roles.Approver, Roles.Admin, Roles.Agent))
            // RequireAuthorization() without a name means readers; an endpoint nobody annotated is admin-only, so a
            // forgotten policy fails closed.
            .SetDefaultPolicy(Role(Roles.Viewer, Roles.Operator, Roles.Approver, Roles.Admin))
            .SetFallbackPolicy(admin);
        return services;
    }

    public static IEndpointRouteBuilder MapControlPlaneIdentity(this IEndpointRouteBuilder app)
    {
        app.MapTokensApi();
        app.MapAuthApi();
        app.MapAuditApi();
        return app;
    }

    private static AuthorizationPolicy Role(params string[] roles) =>
        new AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName).RequireAuthenticatedUser().RequireRole(roles).Build();
}
