using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class NdjsonValidationTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    private static readonly Dictionary<string, string[]> ValidLines = new()
    {
        ["price"] = ["""{"sku":"X-1","amount":1,"currency":"EUR"}""", """{"sku":"X-3","amount":2,"currency":"EUR"}"""],
        ["stock"] = ["""{"sku":"X-1","available":1}""", """{"sku":"X-3","available":3}"""],
        ["product"] = ["""{"sku":"X-1","title":"t","category":"c"}""", """{"sku":"X-3","title":"t","category":"c"}"""],
    };

    public static TheoryData<string, string, string, string> InvalidLines => new()
    {
        { "wrong type of amount", "price", """{"sku":"X-2","amount":true,"currency":"EUR"}""", "amount" },
        { "wrong type of currency", "price", """{"sku":"X-2","amount":1,"currency":5}""", "currency" },
        { "wrong type of sku", "price", """{"sku":12,"amount":1,"currency":"EUR"}""", "sku" },
        { "unknown field", "price", """{"sku":"X-2","amount":1,"currency":"EUR","colour":"red"}""", "colour" },
        { "op in a full snapshot", "price", """{"op":"upsert","sku":"X-2","amount":1,"currency":"EUR"}""", "op" },
        { "zero amount", "price", """{"sku":"X-2","amount":0,"currency":"EUR"}""", "amount" },
        { "negative amount", "price", """{"sku":"X-2","amount":-3.5,"currency":"EUR"}""", "amount" },
        { "five decimal places", "price", """{"sku":"X-2","amount":1.23456,"currency":"EUR"}""", "amount" },
        { "five decimal places in listAmount", "price", """{"sku":"X-2","amount":1.5,"currency":"EUR","listAmount":2.00001}""", "listAmount" },
        { "currency too long", "price", """{"sku":"X-2","amount":1,"currency":"EURO"}""", "currency" },
        { "currency in lower case", "price", """{"sku":"X-2","amount":1,"currency":"eur"}""", "currency" },
        { "currency not in ISO 4217", "price", """{"sku":"X-2","amount":1,"currency":"ABC"}""", "currency" },
        { "currency missing", "price", """{"sku":"X-2","amount":1}""", "currency" },
        { "sku missing", "price", """{"amount":1,"currency":"EUR"}""", "sku" },
        { "sku of 65 characters", "price", $$"""{"sku":"{{new string('s', 65)}}","amount":1,"currency":"EUR"}""", "sku" },
        { "sku with surrounding white space", "price", """{"sku":" X-2","amount":1,"currency":"EUR"}""", "sku" },
        { "negative available", "stock", """{"sku":"X-2","available":-1}""", "available" },
        { "fractional available", "stock", """{"sku":"X-2","available":1.5}""", "available" },
        { "empty title", "product", """{"sku":"X-2","title":"","category":"c"}""", "title" },
        { "blank title", "product", """{"sku":"X-2","title":"   ","category":"c"}""", "title" },
        { "attributes not an object", "product", """{"sku":"X-2","title":"t","category":"c","attributes":[1]}""", "attributes" },
        { "attributes with a key twice", "product", """{"sku":"X-2","title":"t","category":"c","attributes":{"a":1,"a":2}}""", "attributes" },
        { "a field twice", "stock", """{"sku":"X-2","available":1,"available":2}""", "available" },
        { "warehouse empty", "stock", """{"sku":"X-2","available":1,"warehouse":""}""", "warehouse" },
    };

    [Theory]
    [MemberData(nameof(InvalidLines))]
    public async Task An_invalid_line_is_refused_naming_its_line_and_field_and_nothing_is_stored(string reason, string dataset, string line, string field)
    {
        Assert.NotEmpty(reason);
        var body = Bodies.Lines(ValidLines[dataset][0], line, ValidLines[dataset][1]);

        await RejectedImport.AssertAsync(Client, Database, dataset, body, "", DatasetsClient.Ndjson, (2, field));
    }

    [Fact]
    public async Task A_SKU_of_64_characters_is_accepted()
    {
        var sku = new string('s', 64);

        var version = await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord(sku, 1m, "EUR")]));

        Assert.Equal(1, version.Records);
    }

    [Fact]
    public async Task A_malformed_JSON_line_is_reported_once_with_its_line_number_counting_blank_lines()
    {
        var body = Bodies.Lines(ValidLines["price"][0], "", "   ", """{"sku":"X-4","amount":,"currency":"EUR"}""", ValidLines["price"][1]);

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Ndjson, (4, null));
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("""{"sku":"X-2","amount":1,"currency":"EUR"} {"sku":"X-9"}""")]
    [InlineData("""{"sku":"X-2","amount":1,"currency":"EUR",}""")]
    [InlineData("not json")]
    public async Task A_line_that_is_not_one_JSON_object_is_reported_once(string line)
    {
        var body = Bodies.Lines(ValidLines["price"][0], line, ValidLines["price"][1]);

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Ndjson, (2, null));
    }

    [Fact]
    public async Task A_line_longer_than_1_MiB_is_refused_naming_its_line()
    {
        var longLine = $$"""{"sku":"X-2","amount":1,"currency":"EUR","pad":"{{new string('x', 1_200_000)}}"}""";

        await RejectedImport.AssertAsync(Client, Database, "price", Bodies.Lines(ValidLines["price"][0], longLine, ValidLines["price"][1]), "", DatasetsClient.Ndjson, (2, null));
    }

    [Fact]
    public async Task Every_bad_line_is_reported_not_only_the_first()
    {
        var body = Bodies.Lines(
            """{"sku":"X-1","amount":0,"currency":"EUR"}""",
            """{"sku":"X-2","amount":1,"currency":"EUR"}""",
            """{"sku":"X-3","amount":1,"currency":"eur","listAmount":-1}""");

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Ndjson, (1, "amount"), (3, "listAmount"), (3, "currency"));
    }

    [Fact]
    public async Task A_duplicate_SKU_is_reported_on_the_second_line_naming_the_first()
    {
        var body = Bodies.Lines(ValidLines["price"][0], ValidLines["price"][1], """{"sku":"X-1","amount":5,"currency":"USD"}""");

        var problem = await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Ndjson, (3, "sku"));

        Assert.Contains("line 1", problem.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("X-1", problem.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_reimport_leaves_the_previous_versions_and_rows_as_they_were()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(100)));
        var body = Bodies.Ndjson(Bodies.Prices(100, seed: 2)) + """{"sku":"P-00101","amount":-1,"currency":"EUR"}""" + "\n";

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Ndjson, (101, "amount"));
        Assert.Equal(Bodies.HashOf(Bodies.Prices(100)), (await Client.GetOkAsync<VersionDto>("/api/v1/datasets/price/versions/1")).ContentHash);
    }

    [Fact]
    public async Task More_than_100_errors_reports_the_first_100_and_counts_them_all()
    {
        var body = Bodies.Lines(Enumerable.Range(1, 250).Select(i => $$"""{"sku":"E-{{i}}","amount":-1,"currency":"EUR"}"""));

        using var response = await Client.PostVersionAsync("price", body);

        var problem = await Problem.ReadAsync(response, System.Net.HttpStatusCode.BadRequest);
        Assert.Equal(250, problem.ErrorCount);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => ((long?)i, (string?)"amount")), problem.Errors.Select(e => (e.Line, e.Field)));
        Assert.Empty(await Client.AllVersionsAsync("price"));
        Assert.Equal(0, await Database.CountRowsAsync("records"));
    }
}
