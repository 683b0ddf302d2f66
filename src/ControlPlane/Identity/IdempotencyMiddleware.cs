using System.Security.Cryptography;
using System.Text;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Identity;

/// <summary>
/// POSTs with an <c>Idempotency-Key</c> header: the first request with a key (per actor) is handled and its answer
/// (status, Location, body) stored; a repeat with the same method, path, query and body gets that answer again
/// (header <c>Idempotency-Replayed: true</c>) without running again; with a different request it is 409. The key's
/// row is claimed with an INSERT on its primary key, so concurrent duplicates are decided by PostgreSQL: one runs,
/// the others get 409 (in progress) or the replay. Answers 5xx are not kept, so such a request can be retried.
/// </summary>
public sealed partial class IdempotencyMiddleware(
    RequestDelegate next, NpgsqlDataSource dataSource, IOptions<IdentityOptions> options, IOptions<ImportOptions> importOptions,
    TimeProvider time, IProblemDetailsService problems, ILogger<IdempotencyMiddleware> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";
    public const int MaxKeyLength = 200;

    /// <summary>Answers larger than this are not kept: a repeat then gets 409 instead of a replay.</summary>
    private const int MaxStoredBody = 1 << 20;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Headers.TryGetValue(Header, out var values)
            || context.User.Identity?.IsAuthenticated != true
            || context.GetEndpoint()?.Metadata.GetMetadata<HandlesIdempotencyKey>() is not null)
        {
            await next(context);
            return;
        }

        var key = values.Count == 1 ? values[0] ?? "" : "";
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < '!' or > '~'))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "Invalid request",
                $"{Header} is one value of 1 to {MaxKeyLength} printable ASCII characters without spaces.", Header);
            return;
        }

        var actor = Actor.Of(context);
        var requestHash = await HashRequestAsync(context);
        if (requestHash is null)
        {
            await WriteProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The body is larger than the limit of {importOptions.Value.MaxBodyBytes} bytes.", null);
            return;
        }

        var now = time.GetUtcNow();
        await using (var connection = await dataSource.OpenConnectionAsync(context.RequestAborted))
        {
            // An expired key is forgotten first, so it may be used again.
            await connection.ExecuteAsync(
                "DELETE FROM idempotency_keys WHERE created_at < @cutoff AND (Random() < 0.01 OR (actor = @actor AND key = @key))",
                context.RequestAborted, ("cutoff", now - options.Value.IdempotencyKeyLifetime), ("actor", actor), ("key", key));
            var claimed = await connection.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (actor, key, request_hash, method, path, created_at)
                VALUES (@actor, @key, @hash, @method, @path, @now) ON CONFLICT (actor, key) DO NOTHING
                """, context.RequestAborted, ("actor", actor), ("key", key), ("hash", requestHash), ("method", context.Request.Method),
                ("path", context.Request.Path.Value ?? ""), ("now", now)) == 1;
            if (!claimed)
            {
                await ReplayAsync(context, connection, actor, key, requestHash);
                return;
            }
        }

        await RunAndStoreAsync(context, actor, key);
    }

    private async Task RunAndStoreAsync(HttpContext context, string actor, string key)
    {
        var original = context.Response.Body;
        await using var copy = new TeeStream(original, MaxStoredBody);
        context.Response.Body = copy;
        var completed = false;
        try
        {
            await next(context);
            completed = true;
        }
        finally
        {
            context.Response.Body = original;
            var status = context.Response.StatusCode;

            // Kept: every answer but server failures, which the client should be able to retry with the same key.
            var keep = completed && status < 500 && !copy.Overflowed;
            await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
            if (keep)
            {
                await connection.ExecuteAsync(
                    """
                    UPDATE idempotency_keys SET completed_at = @now, status = @status, content_type = @type, location = @location, body = @body
                    WHERE actor = @actor AND key = @key
                    """, CancellationToken.None, ("now", time.GetUtcNow()), ("status", status), ("type", context.Response.ContentType),
                    ("location", context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null),
                    ("body", copy.Captured), ("actor", actor), ("key", key));
            }
            else
            {
                await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE actor = @actor AND key = @key", CancellationToken.None,
                    ("actor", actor), ("key", key));
            }
        }
    }

    private async Task ReplayAsync(HttpContext context, NpgsqlConnection connection, string actor, string key, byte[] requestHash)
    {
        await using var command = connection.Command(
            "SELECT request_hash, completed_at, status, content_type, location, body, method, path FROM idempotency_keys WHERE actor = @actor AND key = @key",
            ("actor", actor), ("key", key));
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        if (!await reader.ReadAsync(context.RequestAborted))
        {
            // The first request failed and let the key go between our INSERT and this read: the client may retry.
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, "Conflict", $"The request with this {Header} did not complete; retry it.", Header);
            return;
        }

        if (!((byte[])reader[0]).AsSpan().SequenceEqual(requestHash))
        {
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, "Conflict",
                $"This {Header} was used for another request ({reader.GetString(6)} {reader.GetString(7)} with a different body); use a new key for a new request.", Header);
            return;
        }

        if (reader.IsDBNull(1))
        {
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, "Conflict",
                $"The first request with this {Header} is still being handled; retry shortly.", Header);
            return;
        }

        LogReplayed(context.Request.Path.Value ?? "", reader.GetInt32(2));
        context.Response.StatusCode = reader.GetInt32(2);
        context.Response.Headers[ReplayedHeader] = "true";
        if (!reader.IsDBNull(4))
        {
            context.Response.Headers.Location = reader.GetString(4);
        }

        if (!reader.IsDBNull(3))
        {
            context.Response.ContentType = reader.GetString(3);
        }

        var body = reader.IsDBNull(5) ? [] : (byte[])reader[5];
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>SHA-256 over method, path, query and body; the body is buffered so the endpoint reads it again. Null when too large.</summary>
    private async Task<byte[]?> HashRequestAsync(HttpContext context)
    {
        var limit = importOptions.Value.MaxBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        context.Request.EnableBuffering(bufferThreshold: 64 * 1024);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}\n"));
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            total += read;
            if (total > limit)
            {
                return null;
            }

            hash.AppendData(buffer, 0, read);
        }

        context.Request.Body.Position = 0;
        return hash.GetHashAndReset();
    }

    private async Task WriteProblemAsync(HttpContext context, int status, string title, string detail, string? field)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["errors"] = new[] { new { field, message = detail } };
        }

        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed the stored answer {Status} to a repeated POST {Path}")]
    private partial void LogReplayed(string path, int status);

    /// <summary>Writes through to the response and keeps a copy of up to a limit.</summary>
    private sealed class TeeStream(Stream inner, int limit) : Stream
    {
        private readonly MemoryStream _copy = new();

        public bool Overflowed { get; private set; }

        public byte[] Captured => _copy.ToArray();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            if (Overflowed || _copy.Length + bytes.Length > limit)
            {
                Overflowed = true;
                return;
            }

            _copy.Write(bytes);
        }
    }
}
