using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace ControlPlane.Infrastructure;

/// <summary>Thrown when a request body is larger than the configured limit; answered as 413.</summary>
public sealed class RequestBodyTooLargeException(long limitBytes)
    : Exception($"The request body is larger than the limit of {limitBytes} bytes.")
{
    public long LimitBytes { get; } = limitBytes;
}

/// <summary>
/// Turns failures that are not the caller's fault into RFC 7807 answers without leaking internals:
/// an unreachable PostgreSQL is 503 (retry later), an oversized body 413, anything else 500.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = Classify(exception);
        if (status >= 500)
        {
            LogFailure(exception, httpContext.Request.Method, httpContext.Request.Path, status);
        }

        httpContext.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (exception is Tiers.ColdArchiveException damaged)
        {
            // Which archive and chunk, so an operator can restore exactly that object.
            problem.Extensions["dataset"] = damaged.Dataset;
            problem.Extensions["version"] = damaged.Version;
            problem.Extensions["chunk"] = damaged.Chunk;
            problem.Extensions["key"] = damaged.Key;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    internal static (int Status, string Title, string Detail) Classify(Exception exception) => exception switch
    {
        RequestBodyTooLargeException tooLarge => (StatusCodes.Status413PayloadTooLarge, "Request body too large", tooLarge.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "Request body too large", exception.Message),
        BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
        Tiers.ColdArchiveException damaged => (StatusCodes.Status409Conflict, "Cold archive damaged",
            damaged.Message + " Nothing was read from it; restore the object from a copy or publish another version."),
        Tiers.ColdStoreUnavailableException => (StatusCodes.Status503ServiceUnavailable, "Cold storage unavailable",
            "The version is archived in cold storage, which could not be reached; nothing was changed. Retry later."),
        // 22021: a text value holds NUL (or bytes invalid in UTF-8). Inputs are checked where they arrive; this is the net.
        PostgresException { SqlState: "22021" } => (StatusCodes.Status400BadRequest, "Invalid text",
            "A text value of the request holds a character PostgreSQL cannot store (NUL); nothing was changed."),
        _ when IsDatabaseUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "Database unavailable",
            "PostgreSQL could not be reached; nothing was changed. Retry later."),
        _ => (StatusCodes.Status500InternalServerError, "Internal error", "The server failed to handle the request; it was logged."),
    };

    internal static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                    || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                    || postgres.SqlState == "53300":
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException or SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private partial void LogFailure(Exception exception, string method, string path, int status);
}
