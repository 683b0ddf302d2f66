namespace ControlPlane.Tests.Datasets;

/// <summary>A generated history of the price dataset, imported through the API and kept in memory as expected.</summary>
public static class GeneratedPriceHistory
{
    /// <summary>
    /// Four versions made of full imports and deltas, including SKUs removed and re-added with the same or other
    /// content and changes reverted to an older value. Returns the records of each version, as the test expects them.
    /// </summary>
    public static async Task<List<Dictionary<string, PriceRecord>>> BuildAsync(HttpClient client, Random random)
    {
        var versions = new List<Dictionary<string, PriceRecord>>();
        var current = Bodies.Prices(3000, "G-", seed: random.Next()).ToDictionary(r => r.Sku);
        await client.ImportAsync("price", Bodies.Ndjson(current.Values));
        versions.Add(new(current));
        var nextNew = 1;
        PriceRecord NewRecord() => Bodies.RandomPrice($"{(random.Next(2) == 0 ? "A" : "H")}-{nextNew++:D5}", random);
        PriceRecord Changed(PriceRecord r) => r with { Amount = r.Amount + random.Next(1, 500) / 100m };

        // Version 2: a delta with changes, deletes, new SKUs and upserts that change nothing.
        var picks = Pick(random, current.Keys, 390);
        var changes = new List<string>();
        foreach (var sku in picks.Take(150))
        {
            current[sku] = Changed(current[sku]);
            changes.Add(current[sku].UpsertLine());
        }

        changes.AddRange(picks.Skip(150).Take(20).Select(sku => current[sku].UpsertLine()));
        foreach (var sku in picks.Skip(170).Take(100))
        {
            current.Remove(sku);
            changes.Add(TestRecord.DeleteLine(sku));
        }

        foreach (var record in Enumerable.Range(0, 120).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
            changes.Add(record.UpsertLine());
        }

        await client.ImportAsync("price", Bodies.Lines(changes.OrderBy(_ => random.Next())), "mode=delta&base=1");
        versions.Add(new(current));

        // Version 3: a full snapshot that re-adds deleted SKUs (30 as they were, 20 changed), reverts 25 changes,
        // and changes, removes and adds others.
        var deletedInTwo = versions[0].Keys.Where(k => !current.ContainsKey(k)).ToList();
        foreach (var sku in deletedInTwo.Take(30))
        {
            current[sku] = versions[0][sku];
        }

        foreach (var sku in deletedInTwo.Skip(30).Take(20))
        {
            current[sku] = Changed(versions[0][sku]);
        }

        foreach (var sku in picks.Take(25))
        {
            current[sku] = versions[0][sku];
        }

        var others = Pick(random, current.Keys.Except(picks.Take(25)).Except(deletedInTwo), 300);
        foreach (var sku in others.Take(200))
        {
            current[sku] = Changed(current[sku]);
        }

        foreach (var sku in others.Skip(200))
        {
            current.Remove(sku);
        }

        foreach (var record in Enumerable.Range(0, 150).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
        }

        await client.ImportAsync("price", Bodies.Ndjson(current.Values.OrderBy(_ => random.Next())));
        versions.Add(new(current));

        // Version 4: another delta.
        changes.Clear();
        var last = Pick(random, current.Keys, 180);
        foreach (var sku in last.Take(100))
        {
            current[sku] = Changed(current[sku]);
            changes.Add(current[sku].UpsertLine());
        }

        foreach (var sku in last.Skip(100))
        {
            current.Remove(sku);
            changes.Add(TestRecord.DeleteLine(sku));
        }

        foreach (var record in Enumerable.Range(0, 60).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
            changes.Add(record.UpsertLine());
        }

        await client.ImportAsync("price", Bodies.Lines(changes), "mode=delta&base=3");
        versions.Add(new(current));
        return versions;
    }

    private static List<string> Pick(Random random, IEnumerable<string> skus, int count) =>
        [.. skus.Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(count)];
}
