using System.Globalization;
using System.Text.Json.Nodes;

namespace EndToEnd.Tests.Support;

/// <summary>
/// Generated promotion data in which every record carries the number of the content it belongs to (its "marker"):
/// in the price's thousands, the stock's millions and the product title's "C{n}" prefix. Records of different contents
/// never look alike, so a read shows which content each value came from.
/// </summary>
public static class Catalogue
{
    public static readonly string[] Datasets = ["price", "product", "stock"];

    /// <summary>
    /// SKUs whose characters mean something to some layer on the way: the key's hash tag braces, the member's '|', URL
    /// paths, JSON escapes, and UTF-8 of two to four bytes.
    /// </summary>
    public static readonly string[] OddSkus =
    [
        "odd/slash", "pipe|in|sku", "brace{in}sku", "}{", "colon:sku:live", "quote\"back\\slash", "%2F-encoded", "space inside",
        "ünïcødé-ß", "中文-商品", "emoji-😀",
    ];

    public static string Sku(int i) => $"SKU-{i:D6}";

    public static IEnumerable<string> Skus(int count) => Enumerable.Range(1, count).Select(Sku);

    /// <summary>
    /// The NDJSON lines of a full snapshot of <paramref name="dataset"/>: SKUs 1..count in content <paramref name="content"/>,
    /// and the <see cref="OddSkus"/> with odd values too when <paramref name="odd"/>.
    /// </summary>
    public static IEnumerable<string> Snapshot(string dataset, int count, int content, bool odd = false) =>
        Enumerable.Range(1, count).Select(i => Record(dataset, i, content))
            .Concat(odd ? OddSkus.Select((sku, i) => OddRecord(dataset, sku, i, content)) : [])
            .Select(r => r.ToJsonString());

    public static JsonObject Record(string dataset, int i, int content) => dataset switch
    {
        // An amount in [content * 1000, content * 1000 + 1000) with two places, never a trailing zero.
        "price" => new JsonObject { ["sku"] = Sku(i), ["amount"] = (content * 1000m) + (i % 997) + 0.25m, ["currency"] = "EUR" },
        "stock" => new JsonObject { ["sku"] = Sku(i), ["available"] = (content * 1_000_000L) + i, ["warehouse"] = $"wh-{i % 5}" },
        "product" => new JsonObject
        {
            ["sku"] = Sku(i), ["title"] = $"C{content} item {i}", ["category"] = $"cat-{i % 7}",
            ["attributes"] = new JsonObject { ["content"] = content, ["size"] = i % 3 == 0 ? "L" : "M" },
        },
        _ => throw new ArgumentException($"Unknown dataset {dataset}.", nameof(dataset)),
    };

    /// <summary>A record of an odd SKU: four-place and trailing-zero amounts, escapes and non-ASCII text, nested attributes.</summary>
    public static JsonObject OddRecord(string dataset, string sku, int i, int content) => dataset switch
    {
        "price" => new JsonObject { ["sku"] = sku, ["amount"] = (content * 1000m) + 0.1234m + i, ["currency"] = "JPY", ["listAmount"] = (content * 1000m) + 900.50m },
        "stock" => new JsonObject { ["sku"] = sku, ["available"] = content * 1_000_000L },
        "product" => new JsonObject
        {
            ["sku"] = sku, ["title"] = $"C{content} \"quoted\" back\\slash | pipe {{brace}} é 中文 😀 tab\tnew\nline", ["category"] = "odd/ones",
            ["attributes"] = new JsonObject
            {
                ["zeta"] = 1.50m, ["Alpha"] = new JsonArray("x", 2, true, null), ["ünï"] = new JsonObject { ["b"] = "😀", ["a"] = "\u0001" },
            },
        },
        _ => throw new ArgumentException($"Unknown dataset {dataset}.", nameof(dataset)),
    };

    /// <summary>A change-set line upserting SKU i as it is in content <paramref name="content"/>.</summary>
    public static string Upsert(string dataset, int i, int content)
    {
        var json = Record(dataset, i, content);
        json.Insert(0, "op", "upsert");
        return json.ToJsonString();
    }

    public static string Delete(int i) => new JsonObject { ["op"] = "delete", ["sku"] = Sku(i) }.ToJsonString();

    /// <summary>The content a record (canonical JSON as read from Redis) belongs to.</summary>
    public static int MarkerOf(string dataset, string json)
    {
        var record = JsonNode.Parse(json)!.AsObject();
        return dataset switch
        {
            "price" => (int)Math.Floor(record["amount"]!.GetValue<decimal>() / 1000m),
            "stock" => (int)(record["available"]!.GetValue<long>() / 1_000_000L),
            "product" => int.Parse(record["title"]!.GetValue<string>()[1..record["title"]!.GetValue<string>().IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"Unknown dataset {dataset}.", nameof(dataset)),
        };
    }
}
