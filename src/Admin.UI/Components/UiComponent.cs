using ControlPlane.Client;
using Admin.UI.Security;
using Microsoft.AspNetCore.Components;

namespace Admin.UI.Components;

/// <summary>What went wrong, in words for the page: the API's problem or the control plane being out of reach.</summary>
public sealed record UiError(string Title, string? Detail, IReadOnlyList<ProblemFieldError> Errors, bool Unreachable = false, bool SignedOut = false)
{
    public static UiError From(Exception exception) => exception switch
    {
        ApiProblemException { Status: 401 } => new UiError("Your session has ended", "Sign in again to go on.", [], SignedOut: true),
        ApiProblemException { Status: 403 } api => new UiError("Not allowed", api.Problem.Detail ?? "Your role does not allow this.", api.Problem.Errors),
        ApiProblemException api => new UiError(api.Problem.Title, api.Problem.Detail, api.Problem.Errors),
        HttpRequestException => new UiError("The control plane cannot be reached", "The admin UI could not connect to the control plane's API.", [], Unreachable: true),
        TaskCanceledException or TimeoutException => new UiError("The control plane does not answer", "The API call timed out.", [], Unreachable: true),
        _ => throw exception,
    };
}

/// <summary>Base of the UI's pages and live fragments: the API, the signed-in user, and error handling.</summary>
public abstract class UiComponent : ComponentBase
{
    [Inject]
    protected ControlPlaneClient Api { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    [Inject]
    protected IHttpContextAccessor HttpContextAccessor { get; set; } = default!;

    protected HttpContext Http => HttpContextAccessor.HttpContext ?? throw new InvalidOperationException("No request.");

    protected UserSession Session => UserSession.From(Http.User) ?? new UserSession("anonymous", RolePermissions.Viewer, null);

    /// <summary>The time zone the user reads times in (the browser's, else UTC).</summary>
    protected UserClock Clock => UserClock.From(Http);

    protected UiError? Error { get; set; }

    protected CancellationToken Aborted => Http.RequestAborted;

    /// <summary>Calls the API; on failure keeps the error for the page and returns default.</summary>
    protected async Task<T?> LoadAsync<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            return await call(Aborted);
        }
        catch (Exception exception) when (exception is ApiProblemException or HttpRequestException or TaskCanceledException)
        {
            Error ??= UiError.From(exception);
            return default;
        }
    }

    /// <summary>Runs an action against the API; true when it succeeded, else <see cref="Error"/> says why.</summary>
    protected async Task<bool> ActAsync(Func<CancellationToken, Task> call)
    {
        try
        {
            await call(Aborted);
            return true;
        }
        catch (Exception exception) when (exception is ApiProblemException or HttpRequestException or TaskCanceledException)
        {
            Error = UiError.From(exception);
            return false;
        }
    }
}
