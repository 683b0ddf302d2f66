using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Contracts;

/// <summary>
/// The content hash of a version (README, "Content hash"): each record's canonical JSON is hashed with SHA-256,
/// the digests are added as 256-bit unsigned integers modulo 2^256, and the result is
/// SHA-256("cp-content-v1\n" + count + "\n" + sum). Order does not matter, so a change set of k records
/// updates the hash in O(k) by subtracting the digests it removes and adding the ones it brings.
/// </summary>
public sealed class ContentHash
{
    private const string Domain = "cp-content-v1\n";

    // Big-endian limbs: _limb0 is the most significant.
    private ulong _limb0, _limb1, _limb2, _limb3;

    public long Count { get; private set; }

    public static ContentHash FromState(ReadOnlySpan<byte> sum, long count)
    {
        if (sum.Length != 32)
        {
            throw new ArgumentException("A hash sum is 32 bytes.", nameof(sum));
        }

        return new ContentHash
        {
            _limb0 = BinaryPrimitives.ReadUInt64BigEndian(sum),
            _limb1 = BinaryPrimitives.ReadUInt64BigEndian(sum[8..]),
            _limb2 = BinaryPrimitives.ReadUInt64BigEndian(sum[16..]),
            _limb3 = BinaryPrimitives.ReadUInt64BigEndian(sum[24..]),
            Count = count,
        };
    }

    public void Add(string canonicalRecord) => Apply(canonicalRecord, subtract: false);

    public void Remove(string canonicalRecord) => Apply(canonicalRecord, subtract: true);

    public byte[] Sum()
    {
        var bytes = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _limb0);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), _limb1);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(16), _limb2);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(24), _limb3);
        return bytes;
    }

    /// <summary>The published form: <c>sha256:</c> and 64 lower-case hex digits.</summary>
    public string Value()
    {
        var prefix = Encoding.ASCII.GetBytes(Domain + Count.ToString(CultureInfo.InvariantCulture) + "\n");
        var input = new byte[prefix.Length + 32];
        prefix.CopyTo(input, 0);
        Sum().CopyTo(input, prefix.Length);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(input));
    }

    private void Apply(string canonicalRecord, bool subtract)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(canonicalRecord.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= 1024 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(canonicalRecord, buffer);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer[..length], digest);
            var d0 = BinaryPrimitives.ReadUInt64BigEndian(digest);
            var d1 = BinaryPrimitives.ReadUInt64BigEndian(digest[8..]);
            var d2 = BinaryPrimitives.ReadUInt64BigEndian(digest[16..]);
            var d3 = BinaryPrimitives.ReadUInt64BigEndian(digest[24..]);
            if (subtract)
            {
                SubtractLimbs(d0, d1, d2, d3);
                Count--;
            }
            else
            {
                AddLimbs(d0, d1, d2, d3);
                Count++;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void AddLimbs(ulong d0, ulong d1, ulong d2, ulong d3)
    {
        _limb3 += d3;
        var carry = _limb3 < d3 ? 1UL : 0UL;
        (_limb2, carry) = AddWithCarry(_limb2, d2, carry);
        (_limb1, carry) = AddWithCarry(_limb1, d1, carry);
        (_limb0, _) = AddWithCarry(_limb0, d0, carry);
    }

    private void SubtractLimbs(ulong d0, ulong d1, ulong d2, ulong d3)
    {
        var borrow = _limb3 < d3 ? 1UL : 0UL;
        _limb3 -= d3;
        (_limb2, borrow) = SubtractWithBorrow(_limb2, d2, borrow);
        (_limb1, borrow) = SubtractWithBorrow(_limb1, d1, borrow);
        (_limb0, _) = SubtractWithBorrow(_limb0, d0, borrow);
    }

    private static (ulong Value, ulong Carry) AddWithCarry(ulong a, ulong b, ulong carry)
    {
        var sum = a + b;
        var carryOut = sum < a ? 1UL : 0UL;
        var total = sum + carry;
        if (total < sum)
        {
            carryOut = 1;
        }

        return (total, carryOut);
    }

    private static (ulong Value, ulong Borrow) SubtractWithBorrow(ulong a, ulong b, ulong borrow)
    {
        var difference = a - b;
        var borrowOut = a < b ? 1UL : 0UL;
        var total = difference - borrow;
        if (difference < borrow)
        {
            borrowOut = 1;
        }

        return (total, borrowOut);
    }
}
