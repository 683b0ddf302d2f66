using System.Globalization;
using System.Text;

namespace ControlPlane.Demo;

/// <summary>
/// A deterministic generated catalogue for demos and benchmarks: SKU-000001 ... with prices, stock and
/// product data. A seed shifts values so two generations differ in a controlled way.
/// </summary>
public static class DemoCatalogue
{
    private static readonly string[] Categories = ["shoes", "phones", "laptops", "toys", "books", "kitchen", "beauty", "sports"];
    private static readonly string[] Warehouses = ["east-1", "west-1", "north-1"];

    public static string Sku(int index) => "SKU-" + index.ToString("D7", CultureInfo.InvariantCulture);

    public static string PriceLine(int index, int seed = 0)
    {
        var cents = 199 + ((long)index * 7919 + seed * 104729L) % 99_800;
        var amount = (cents / 100m).ToString(CultureInfo.InvariantCulture);
        var list = ((cents + 500) / 100m).ToString(CultureInfo.InvariantCulture);
        return $"{{\"sku\":\"{Sku(index)}\",\"amount\":{amount},\"currency\":\"CNY\",\"listAmount\":{list}}}";
    }

    public static string StockLine(int index, int seed = 0) =>
        $"{{\"sku\":\"{Sku(index)}\",\"available\":{((long)index * 31 + seed * 17) % 500},\"warehouse\":\"{Warehouses[index % Warehouses.Length]}\"}}";

    public static string ProductLine(int index, int seed = 0) =>
        $"{{\"sku\":\"{Sku(index)}\",\"title\":\"Demo product {index}{(seed == 0 ? "" : " v" + seed)}\",\"category\":\"{Categories[index % Categories.Length]}\",\"attributes\":{{\"color\":\"{(index % 2 == 0 ? "red" : "blue")}\",\"size\":{index % 12 + 35}}}}}";

    public static Func<int, int, string>? LineFor(string dataset) => dataset switch
    {
        "price" => PriceLine,
        "stock" => StockLine,
        "product" => ProductLine,
        _ => null,
    };

    public static int Write(string dataset, int count, Stream output, int seed = 0)
    {
        if (LineFor(dataset) is not { } line)
        {
            Console.Error.WriteLine($"Unknown dataset '{dataset}': use price, stock or product.");
            return 2;
        }

        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
        for (var i = 1; i <= count; i++)
        {
            writer.Write(line(i, seed));
            writer.Write('\n');
        }

        return 0;
    }
}
