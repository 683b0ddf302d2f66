namespace ControlPlane.Tiers;

/// <summary>
/// The order of SKUs in PostgreSQL (<c>COLLATE "C"</c>: UTF-8 bytes, which is code point order). Ordinal string
/// comparison in .NET compares UTF-16 code units, which differs for characters above U+FFFF, so merges of warm
/// and cold records use this comparer.
/// </summary>
public sealed class SkuOrder : IComparer<string>
{
    public static readonly SkuOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a != b)
            {
                return Fix(a) - Fix(b);
            }
        }

        return x.Length - y.Length;
    }

    // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, so they sort after U+E000..U+FFFF.
    private static int Fix(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}
