using System.Net;
using System.Net.Http.Json;
using ControlPlane.LiveChanges;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;
using static ControlPlane.Tests.LiveChanges.LiveChangesClient;

namespace ControlPlane.Tests.LiveChanges;

/// <summary>POST /api/v1/datasets/{dataset}/changes: sequence numbers, line-by-line answers, stock adjustments and idempotent batches.</summary>
public sealed class ChangeBatchTests(LiveChangesFixture fixture) : IClassFixture<LiveChangesFixture>, IAsyncLifetime
{
    private HttpClient Client => fixture.Client;

    public Task InitializeAsync() => fixture.ResetChangesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Each_accepted_line_gets_the_next_sequence_number_in_line_order_and_is_in_the_log()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10), new StockRecord("B", 5)]));

        var first = await Client.ChangesAsync("stock", Adjust("A", -1), new StockRecord("B", 7).UpsertLine(), Adjust("A", -2));
        var second = await Client.ChangesAsync("stock", Adjust("A", 4), TestRecord.DeleteLine("B"));

        Assert.Equal([1L, 2L, 3L], first.AcceptedLines.Select(l => l.Seq));
        Assert.Equal([1L, 2L, 3L], first.AcceptedLines.Select(l => l.Line));
        Assert.Equal((1L, 3L, 3, 0), (first.FirstSeq!.Value, first.LastSeq!.Value, first.Accepted, first.Rejected));
        Assert.Equal([4L, 5L], second.AcceptedLines.Select(l => l.Seq));

        // Per SKU, the log holds the changes in the order they were sent, each with the record it produced.
        var a = await Client.ChangeLogAsync("stock", "A");
        Assert.Equal([1L, 3L, 4L], a.Select(c => c.Seq));
        Assert.Equal([9L, 7L, 11L], a.Select(c => Available(c.Data)));
        Assert.Equal(["adjust", "adjust", "adjust"], a.Select(c => c.Op));
        Assert.Equal([-1L, -2L, 4L], a.Select(c => c.Delta!.Value));
        var b = await Client.ChangeLogAsync("stock", "B");
        Assert.Equal([("upsert", new StockRecord("B", 7).Canonical), ("delete", (string?)null)], b.Select(c => (c.Op, c.Data)));
        Assert.Equal(5, (await Client.StreamAsync("stock")).LastSeq);
    }

    [Fact]
    public async Task Bad_lines_are_refused_one_by_one_and_the_rest_of_the_batch_is_accepted()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10)]));
        var body = Bodies.Lines(
            Adjust("A", -1),
            Adjust("NOPE", -1),
            "{\"op\":\"upsert\",\"sku\":\"C\"}",
            "{\"op\":\"teleport\",\"sku\":\"A\"}",
            "not json",
            "",
            "{\"op\":\"adjust\",\"sku\":\"A\",\"delta\":1.5}",
            new StockRecord("C", 3).UpsertLine());

        using var response = await Client.PostChangesAsync("stock", body);

        var answer = await Http.ReadAsync<ChangeBatchAnswer>(response, HttpStatusCode.OK);
        Assert.Equal((7, 2, 5), (answer.Lines, answer.Accepted, answer.Rejected));
        Assert.Equal([(1L, 1L), (8L, 2L)], answer.AcceptedLines.Select(l => (l.Line, l.Seq)));
        Assert.Equal([2L, 3L, 4L, 5L, 7L], answer.RejectedLines.Select(r => r.Line));
        Assert.All(answer.RejectedLines, r => Assert.Equal(400, r.Status));
        var unknown = answer.RejectedLines[0];
        Assert.Equal(("NOPE", "sku"), (unknown.Sku, unknown.Field));
        Assert.Contains("not in stock", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("available", answer.RejectedLines[1].Field);
        Assert.Equal("op", answer.RejectedLines[2].Field);
        Assert.Equal("delta", answer.RejectedLines[4].Field);
        Assert.Equal([1L, 2L], (await Client.ChangeLogAsync("stock")).Select(c => c.Seq));
    }

    [Fact]
    public async Task A_batch_with_no_acceptable_line_is_a_problem_naming_each_line_and_stores_nothing()
    {
        await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("P", 1m, "EUR")]));

        using var response = await Client.PostChangesAsync("price", Bodies.Lines(Adjust("P", 1), "{\"op\":\"upsert\",\"sku\":\"P\",\"amount\":-1,\"currency\":\"EUR\"}"));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([(1L, "op"), (2L, "amount")], problem.Errors.Select(e => (e.Line!.Value, e.Field)));
        Assert.Contains("stock only", problem.Errors[0].Message, StringComparison.Ordinal);
        Assert.Empty(await Client.ChangeLogAsync("price"));
        Assert.Equal(0, (await Client.StreamAsync("price")).LastSeq);
    }

    [Fact]
    public async Task An_adjust_below_zero_is_refused_unless_the_policy_allows_oversell()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 2, "W1")]));

        using var refused = await Client.PostChangesAsync("stock", Bodies.Lines(Adjust("A", -3)));
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
        Assert.Equal((1L, "delta"), (problem.Errors[0].Line!.Value, problem.Errors[0].Field));

        // Within one batch later lines see earlier ones: -2 empties the stock, so the next -1 would oversell.
        var partial = await Client.ChangesAsync("stock", Adjust("A", -2), Adjust("A", -1));
        Assert.Equal((1, 1), (partial.Accepted, partial.Rejected));
        Assert.Equal(409, partial.RejectedLines[0].Status);

        using (var policy = await Client.PutAsJsonAsync("/api/v1/datasets/stock/changes/policy", new { allowOversell = true }, Http.Json))
        {
            Assert.True((await Http.ReadAsync<ChangeStreamView>(policy, HttpStatusCode.OK)).AllowOversell);
        }

        var oversold = await Client.ChangesAsync("stock", Adjust("A", -3));
        Assert.Equal(1, oversold.Accepted);
        var last = (await Client.ChangeLogAsync("stock", "A"))[^1];
        Assert.Equal(new StockRecord("A", -3, "W1").Canonical, last.Data);
    }

    [Fact]
    public async Task A_batch_repeated_with_its_Idempotency_Key_is_applied_once_and_answered_the_same()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10)]));
        var body = Bodies.Lines(Adjust("A", -1), Adjust("A", -1));

        using var first = await Client.PostChangesAsync("stock", body, "order-42");
        var answer = await Http.ReadAsync<ChangeBatchAnswer>(first, HttpStatusCode.OK);
        using var retry = await Client.PostChangesAsync("stock", body, "order-42");
        var replayed = await Http.ReadAsync<ChangeBatchAnswer>(retry, HttpStatusCode.OK);

        Assert.False(answer.Replayed);
        Assert.True(replayed.Replayed);
        Assert.Equal(answer.AcceptedLines, replayed.AcceptedLines);
        Assert.Equal(answer.Batch, replayed.Batch);
        Assert.Equal(2, (await Client.ChangeLogAsync("stock")).Count);
        Assert.Equal(8, Available((await Client.ChangeLogAsync("stock"))[^1].Data));

        // The same key with another body is an error, not a silent replay of something else.
        using var reused = await Client.PostChangesAsync("stock", Bodies.Lines(Adjust("A", -5)), "order-42");
        await Problem.ReadAsync(reused, HttpStatusCode.Conflict);

        // Concurrent retries of one new key: exactly one applies.
        var concurrent = Bodies.Lines(Adjust("A", -1));
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await Client.PostChangesAsync("stock", concurrent, "order-43");
            return await Http.ReadAsync<ChangeBatchAnswer>(response, HttpStatusCode.OK);
        }));
        Assert.Single(answers, a => !a.Replayed);
        Assert.Single(answers.Select(a => a.Batch).Distinct());
        Assert.Equal(3, (await Client.ChangeLogAsync("stock")).Count);
    }

    [Fact]
    public async Task Malformed_requests_are_problems()
    {
        using var unknown = await Client.PostChangesAsync("nope", Bodies.Lines(Adjust("A", 1)));
        await Problem.ReadAsync(unknown, HttpStatusCode.NotFound);
        using var empty = await Client.PostChangesAsync("stock", "\n\n");
        await Problem.ReadAsync(empty, HttpStatusCode.BadRequest);
        using var csv = new HttpRequestMessage(HttpMethod.Post, "/api/v1/datasets/stock/changes") { Content = new StringContent("a,b", System.Text.Encoding.UTF8, "text/csv") };
        using var wrongType = await Client.SendAsync(csv);
        await Problem.ReadAsync(wrongType, HttpStatusCode.UnsupportedMediaType);
    }

    private static long Available(string? data) =>
        System.Text.Json.JsonDocument.Parse(data!).RootElement.GetProperty("available").GetInt64();
}
