using Admin.UI.Api;
using Admin.UI.Components;
using Admin.UI.Live;
using Admin.UI.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Admin.UI;

public static class Extensions
{
    public static IServiceCollection AddAdminUi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminUiOptions>().Bind(configuration.GetSection("AdminUi")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ControlPlaneOptions>().Bind(configuration.GetSection("ControlPlane")).ValidateDataAnnotations()
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out _), "ControlPlane:Url must be an absolute URL.").ValidateOnStart();
        services.AddRazorComponents();
        services.AddHttpContextAccessor();
        services.AddControlPlaneClient();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = "/login";
                cookie.Cookie.Name = "admin-ui";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.SlidingExpiration = false;
                cookie.Events.OnRedirectToLogin = context =>
                {
                    // A live refresh (fetch) must learn that the session ended, not receive the login page as a fragment.
                    if (context.Request.Path.StartsWithSegments(LiveEndpoints.Prefix))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    }
                    else
                    {
                        context.Response.Redirect(context.RedirectUri);
                    }

                    return Task.CompletedTask;
                };
            });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AdminUiOptions>>((cookie, options) => cookie.ExpireTimeSpan = TimeSpan.FromMinutes(options.Value.SessionMinutes));
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static WebApplication MapAdminUi(this WebApplication app)
    {
        app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapLiveEndpoints();
        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.Redirect("/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        app.MapRazorComponents<App>().RequireAuthorization();
        return app;
    }

    internal static UserSession? Session(this HttpContext context) => UserSession.From(context.User);
}
