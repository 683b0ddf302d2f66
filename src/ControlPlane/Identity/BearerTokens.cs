using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Identity;

/// <summary>
/// Token secrets: 32 random bytes, base64url, with a "cp_" prefix so a leaked token is recognisable in a scanner.
/// Only their SHA-256 is stored (docs/decisions.md: a fast hash suffices for 256-bit random secrets).
/// </summary>
public static class BearerTokens
{
    public const string Prefix = "cp_";

    /// <summary>Longer presented tokens are refused before hashing.</summary>
    public const int MaxLength = 512;

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The first characters shown in token lists: enough to tell tokens apart, far too few to guess the rest.</summary>
    public static string DisplayPrefix(string token) => token.StartsWith(Prefix, StringComparison.Ordinal) && token.Length > 20 ? token[..9] : "";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
