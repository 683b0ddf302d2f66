using System.Globalization;
using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Datasets;

/// <summary>A record as the test writes it into an import body and expects it back.</summary>
public abstract record TestRecord(string Sku)
{
    /// <summary>The record as an import line would carry it, keys deliberately not in canonical order.</summary>
    public abstract JsonObject ToJson();

    public abstract string CsvLine();

    public string Canonical => ExpectedCanonicalJson.Of(ToJson());

    public string NdjsonLine() => ToJson().ToJsonString();

    /// <summary>The change-set line that upserts this record.</summary>
    public string UpsertLine()
    {
        var json = ToJson();
        json.Insert(0, "op", "upsert");
        return json.ToJsonString();
    }

    public static string DeleteLine(string sku) => new JsonObject { ["op"] = "delete", ["sku"] = sku }.ToJsonString();

    protected static string Cell(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    protected static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}

public sealed record PriceRecord(string Sku, decimal Amount, string Currency, decimal? ListAmount = null) : TestRecord(Sku)
{
    public const string CsvHeader = "sku,amount,currency,listAmount";

    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["currency"] = Currency, ["sku"] = Sku, ["amount"] = Amount };
        if (ListAmount is { } list)
        {
            json["listAmount"] = list;
        }

        return json;
    }

    public override string CsvLine() => string.Join(',', Cell(Sku), Number(Amount), Cell(Currency), ListAmount is { } l ? Number(l) : "");
}

public sealed record StockRecord(string Sku, long Available, string? Warehouse = null) : TestRecord(Sku)
{
    public const string CsvHeader = "sku,available,warehouse";

    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["warehouse"] = Warehouse, ["available"] = Available, ["sku"] = Sku };
        if (Warehouse is null)
        {
            json.Remove("warehouse");
        }

        return json;
    }

    public override string CsvLine() => string.Join(',', Cell(Sku), Available.ToString(CultureInfo.InvariantCulture), Cell(Warehouse ?? ""));
}

public sealed record ProductRecord(string Sku, string Title, string Category, string? AttributesJson = null) : TestRecord(Sku)
{
    public const string CsvHeader = "sku,title,category,attributes";

    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["title"] = Title, ["sku"] = Sku, ["category"] = Category };
        if (AttributesJson is not null)
        {
            json["attributes"] = JsonNode.Parse(AttributesJson);
        }

        return json;
    }

    public override string CsvLine() => string.Join(',', Cell(Sku), Cell(Title), Cell(Category), AttributesJson is null ? "" : Cell(AttributesJson));
}

public static class Bodies
{
    public static string Ndjson(IEnumerable<TestRecord> records) => string.Join('\n', records.Select(r => r.NdjsonLine())) + "\n";

    public static string Lines(params IEnumerable<string> lines) => string.Join('\n', lines) + "\n";

    public static string Csv(string header, IEnumerable<TestRecord> records) =>
        string.Join("\r\n", records.Select(r => r.CsvLine()).Prepend(header)) + "\r\n";

    /// <summary>The expected content hash of a set of records.</summary>
    public static string HashOf(IEnumerable<TestRecord> records) => ExpectedContentHash.Of(records.Select(r => r.Canonical));

    /// <summary>n price records P-00001.. with amounts that have trailing zeros, so canonicalization matters.</summary>
    public static List<PriceRecord> Prices(int count, string prefix = "P-", int seed = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(1, count).Select(i => RandomPrice($"{prefix}{i:D5}", random))];
    }

    public static PriceRecord RandomPrice(string sku, Random random)
    {
        string[] currencies = ["EUR", "USD", "GBP", "CHF"];
        var amount = decimal.Round(random.Next(50, 50_000) / 100m, 2) + 0.00m;
        var list = random.Next(4) == 0 ? amount + 1.10m : (decimal?)null;
        return new PriceRecord(sku, amount, currencies[random.Next(currencies.Length)], list);
    }
}
