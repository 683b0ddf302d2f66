using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>Readers never see a mix of releases while the pointer flips among layers and new layers are written (I1, I2).</summary>
public sealed class ConsistencyTests
{
    private const int SkuCount = 40;

    [Fact]
    public async Task A_reader_never_sees_a_mix_of_releases_while_pointers_flip()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var skus = Enumerable.Range(1, SkuCount).Select(Sku).ToList();
        var held = new List<(long Release, LayerInfo Price, LayerInfo Stock)>();
        (LayerInfo Price, LayerInfo Stock)? last = null;
        for (var release = 1; release <= 3; release++)
        {
            last = await StageReleaseAsync(env, release, last);
            held.Add((release, last.Value.Price, last.Value.Stock));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var generation = 0L;
        var flips = 0;
        var reads = 0;

        // The writer stages two more releases while readers read: writing a layer must not disturb reads of older ones.
        var writer = Task.Run(async () =>
        {
            for (var release = 4; release <= 5; release++)
            {
                last = await StageReleaseAsync(env, release, last);
                lock (held)
                {
                    held.Add((release, last.Value.Price, last.Value.Stock));
                }
            }
        });
        var flipper = Task.Run(async () =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested && flips < 5_000)
            {
                (long Release, LayerInfo Price, LayerInfo Stock) target;
                lock (held)
                {
                    target = held[random.Next(held.Count)];
                }

                await env.Store.SwitchAsync(Live(target.Release, ++generation, ("price", target.Price), ("stock", target.Stock)));
                flips++;
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && reads < 20_000)
            {
                var rows = await env.Reader.GetManyAsync(skus);
                if (rows is null)
                {
                    continue;
                }

                Interlocked.Increment(ref reads);
                var release = rows[0].ReleaseId;
                foreach (var row in rows)
                {
                    Assert.Equal(release, row.ReleaseId);
                    var (price, stock) = Expected(release, row.Sku);
                    Assert.True(price == row["price"] && stock == row["stock"],
                        $"{row.Sku} in release {release} read price {row["price"]} and stock {row["stock"]}");
                }
            }
        })).ToList();

        await writer;
        await Task.WhenAll([flipper, .. readers]);
        Assert.True(flips > 10 && reads > 10, $"too little happened: {flips} flips, {reads} reads");
        Assert.Equal(5, held.Count);
    }

    /// <summary>In release r every SKU costs r and has r in stock, except that some SKUs are absent in even releases.</summary>
    private static (string? Price, string? Stock) Expected(long release, string sku)
    {
        var i = int.Parse(sku[4..], System.Globalization.CultureInfo.InvariantCulture);
        return release % 2 == 0 && i % 5 == release % 5 ? (null, null) : (Price(sku, release), Stock(sku, release));
    }

    private static Dictionary<string, string> Records(long release, Func<string, long, string> make)
    {
        var records = new Dictionary<string, string>();
        for (var i = 1; i <= SkuCount; i++)
        {
            var sku = Sku(i);
            if (Expected(release, sku).Price is not null)
            {
                records[sku] = make(sku, release);
            }
        }

        return records;
    }

    private static async Task<(LayerInfo Price, LayerInfo Stock)> StageReleaseAsync(TestEnvironment env, int release, (LayerInfo Price, LayerInfo Stock)? previous)
    {
        var price = await StageAsync(env.Store, "price", release, Records(release, (s, r) => Price(s, r)),
            previous?.Price, previous is null ? null : Records(release - 1, (s, r) => Price(s, r)));
        var stock = await StageAsync(env.Store, "stock", release, Records(release, Stock),
            previous?.Stock, previous is null ? null : Records(release - 1, Stock));
        return (price, stock);
    }
}
