using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Tests.Datasets;

/// <summary>
/// The content hash computed from its documented rule (ContentHash's XML doc), independently of the server:
/// the SHA-256 digests of the records' canonical JSON are added as 256-bit big-endian unsigned integers
/// modulo 2^256, and the hash is "sha256:" + hex(SHA-256(ASCII("cp-content-v1\n" + count + "\n") || sum)).
/// </summary>
public static class ExpectedContentHash
{
    private static readonly BigInteger Modulus = BigInteger.One << 256;

    public static string Of(IEnumerable<string> canonicalRecords)
    {
        var sum = BigInteger.Zero;
        long count = 0;
        foreach (var record in canonicalRecords)
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(record));
            sum = (sum + new BigInteger(digest, isUnsigned: true, isBigEndian: true)) % Modulus;
            count++;
        }

        var sumBytes = new byte[32];
        var minimal = sum.ToByteArray(isUnsigned: true, isBigEndian: true);
        minimal.CopyTo(sumBytes, 32 - minimal.Length);
        var prefix = Encoding.ASCII.GetBytes("cp-content-v1\n" + count.ToString(CultureInfo.InvariantCulture) + "\n");
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData([.. prefix, .. sumBytes]));
    }
}
