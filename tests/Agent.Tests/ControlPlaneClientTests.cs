using System.Net;
using System.Security.Cryptography;
using System.Text;
using Agent.ControlPlaneApi;
using Agent.Tests.Support;
using ControlPlane.Contracts;
using Microsoft.AspNetCore.Http;

namespace Agent.Tests;

public sealed class ControlPlaneClientTests
{
    // Canonical JSON with a non-ASCII character and an escape, which must reach Redis byte for byte.
    private const string Body =
        "{\"sku\":\"SKU-1\",\"data\":{\"amount\":12.5,\"currency\":\"CNY\",\"sku\":\"SKU-1\",\"title\":\"Caf\u00e9 \\\"latte\\\"\"}}\n" +
        "{\"sku\":\"SKU-2\",\"deleted\":true}\n";

    [Fact]
    public async Task A_chunk_whose_checksum_matches_is_parsed_with_its_data_as_sent()
    {
        await using var server = await FakeControlPlane.StartAsync(context => ServeAsync(context, Body, Sha256(Body), nextAfter: "SKU-2"));
        using var http = server.Client("secret");
        var client = new ControlPlaneClient(http);

        var chunk = await client.GetChangesAsync("price", 3, 2, "SKU-0", 2, CancellationToken.None);

        Assert.Equal(
            [new ChangeLine("SKU-1", "{\"amount\":12.5,\"currency\":\"CNY\",\"sku\":\"SKU-1\",\"title\":\"Caf\u00e9 \\\"latte\\\"\"}", false), new ChangeLine("SKU-2", null, true)],
            chunk.Lines);
        Assert.Equal("SKU-2", chunk.NextAfter);
        Assert.Equal(Encoding.UTF8.GetByteCount(Body), chunk.Bytes);
        var (request, authorization) = Assert.Single(server.Requests);
        Assert.Equal("GET /api/v1/datasets/price/versions/3/changes?limit=2&since=2&after=SKU-0", request);
        Assert.Equal("Bearer secret", authorization);
    }

    [Fact]
    public async Task The_last_chunk_has_no_next_after_and_a_full_listing_no_since()
    {
        await using var server = await FakeControlPlane.StartAsync(context => ServeAsync(context, Body, Sha256(Body), nextAfter: null));
        using var http = server.Client();
        var chunk = await new ControlPlaneClient(http).GetChangesAsync("price", 3, null, null, 100, CancellationToken.None);

        Assert.Null(chunk.NextAfter);
        var (request, authorization) = Assert.Single(server.Requests);
        Assert.Equal("GET /api/v1/datasets/price/versions/3/changes?limit=100", request);
        Assert.Null(authorization);
    }

    [Fact]
    public async Task A_chunk_whose_body_does_not_match_its_checksum_is_rejected()
    {
        var tampered = Body.Replace("12.5", "1.25", StringComparison.Ordinal);
        await using var server = await FakeControlPlane.StartAsync(context => ServeAsync(context, tampered, Sha256(Body), nextAfter: "SKU-2"));
        using var http = server.Client();

        await Assert.ThrowsAsync<ChunkChecksumException>(() => new ControlPlaneClient(http).GetChangesAsync("price", 3, 2, null, 2, CancellationToken.None));
    }

    [Fact]
    public async Task A_chunk_without_a_checksum_is_rejected()
    {
        await using var server = await FakeControlPlane.StartAsync(context => ServeAsync(context, Body, null, nextAfter: null));
        using var http = server.Client();

        await Assert.ThrowsAsync<ChunkChecksumException>(() => new ControlPlaneClient(http).GetChangesAsync("price", 3, 2, null, 2, CancellationToken.None));
    }

    [Fact]
    public async Task An_unchanged_desired_state_is_null_and_errors_carry_their_status()
    {
        await using var server = await FakeControlPlane.StartAsync(context =>
        {
            context.Response.StatusCode = context.Request.Query.ContainsKey("known") ? StatusCodes.Status304NotModified : StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        using var http = server.Client();
        var client = new ControlPlaneClient(http);

        Assert.Null(await client.GetDesiredAsync("a-1", "etag-1", CancellationToken.None));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetDesiredAsync("a-1", null, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    private static async Task ServeAsync(HttpContext context, string body, string? sha256, string? nextAfter)
    {
        context.Response.ContentType = "application/x-ndjson";
        if (sha256 is not null)
        {
            context.Response.Headers[ChunkHeaders.Sha256] = sha256;
        }

        if (nextAfter is not null)
        {
            context.Response.Headers[ChunkHeaders.NextAfter] = nextAfter;
        }

        await context.Response.WriteAsync(body);
    }

    private static string Sha256(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
}
