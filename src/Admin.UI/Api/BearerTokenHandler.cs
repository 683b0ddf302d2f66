using System.Net.Http.Headers;
using Admin.UI.Security;

namespace Admin.UI.Api;

/// <summary>
/// Sends the signed-in user's own bearer token with every API call, so the control plane decides what that user may do
/// (the UI never holds a shared token of its own).
/// </summary>
public sealed class BearerTokenHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.User is { } user && UserSession.From(user) is { } session)
        {
            if (session.Token is { Length: > 0 } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            // Attribution for a control plane that still reads the actor from X-Actor.
            request.Headers.TryAddWithoutValidation("X-Actor", session.Name);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
