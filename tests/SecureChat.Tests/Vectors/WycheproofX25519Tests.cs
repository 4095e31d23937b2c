using SecureChat.Crypto;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// X25519 (Wycheproof x25519_test.json, 518 cases) through <see cref="X25519KeyPair.Agree"/>.
/// Our rule is stricter than Wycheproof's: Wycheproof marks public keys with bit 255 set or
/// u ≥ 2^255 − 19 ("NonCanonicalPublic") as "acceptable" and expects RFC 7748's decoding (mask bit
/// 255, reduce u mod p), giving a shared secret. We refuse such keys before any computation
/// (<see cref="X25519PublicKey.IsCanonical"/>): each key then has exactly one encoding, and an
/// honest peer never sends another. So the test asserts:
/// canonical key, nonzero expected secret → Agree gives exactly that secret (valid and acceptable
/// cases, twist points included); expected secret all zero (low-order points) → ProtocolViolationException;
/// non-canonical key → ProtocolViolationException, whatever Wycheproof's shared value.
/// </summary>
public class WycheproofX25519Tests(ITestOutputHelper output)
{
    private const string FileName = "x25519_test.json";

    private static bool IsNonCanonicalEncoding(byte[] key)
    {
        if (key.Length != 32 || (key[31] & 0x80) != 0)
        {
            return true;
        }

        // u >= p = 2^255 - 19, computed independently of X25519PublicKey with BigInteger.
        var u = new System.Numerics.BigInteger(key, isUnsigned: true, isBigEndian: false);
        return u >= System.Numerics.BigInteger.Pow(2, 255) - 19;
    }

    [Fact]
    public void X25519_agrees_on_canonical_keys_and_refuses_zero_results_and_non_canonical_keys()
    {
        IReadOnlyList<WycheproofCase> vectors = WycheproofFile.Load(FileName, "XDH");
        var failures = new VectorFailures();
        int agreed = 0, zeroRefused = 0, nonCanonicalRefused = 0;
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] publicKey = v.Bytes("public");
                byte[] expected = v.Bytes("shared");
                bool nonCanonical = IsNonCanonicalEncoding(publicKey);
                bool zero = !expected.AsSpan().ContainsAnyExcept((byte)0);
                // Wycheproof flags some non-canonical low-order keys only as LowOrderPublic, so the
                // flag implies non-canonical but not the other way round.
                if (v.HasFlag("NonCanonicalPublic") && !nonCanonical)
                {
                    failures.Add(v, "Wycheproof says non-canonical, our independent check does not");
                }

                if (X25519PublicKey.IsCanonical(publicKey) == nonCanonical)
                {
                    failures.Add(v, "X25519PublicKey.IsCanonical is wrong");
                }

                using var pair = X25519KeyPair.FromPrivateKey(v.Bytes("private"));
                byte[] shared = new byte[32];
                if (nonCanonical || zero)
                {
                    try
                    {
                        pair.Agree(publicKey, shared);
                        failures.Add(v, "Agree accepted the key");
                    }
                    catch (ProtocolViolationException)
                    {
                        _ = nonCanonical ? nonCanonicalRefused++ : zeroRefused++;
                    }

                    return;
                }

                pair.Agree(publicKey, shared);
                if (!shared.AsSpan().SequenceEqual(expected))
                {
                    failures.Add(v, $"Agree gave {Convert.ToHexStringLower(shared)}");
                }
                else
                {
                    agreed++;
                }
            });
        }

        output.WriteLine($"{FileName}: {agreed} agreed, {zeroRefused} all-zero results refused, {nonCanonicalRefused} non-canonical keys refused.");
        failures.AssertNone();
        Assert.Equal(518, agreed + zeroRefused + nonCanonicalRefused);
        Assert.Equal(474, agreed);
        Assert.Equal(15, zeroRefused);
        Assert.Equal(29, nonCanonicalRefused);
    }

    [Theory]
    [InlineData("0900000000000000000000000000000000000000000000000000000000000000", true)]
    [InlineData("0900000000000000000000000000000000000000000000000000000000000080", false)] // bit 255 set
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", true)] // p - 1
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false)] // p
    [InlineData("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false)] // p + 1
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false)] // 2^255 - 1
    [InlineData("edfffffffffffffffffffffffffffffffffffffffffffffffffffffffeffff7f", true)] // p - 2^232
    [InlineData("09", false)]
    public void IsCanonical_accepts_exactly_32_bytes_below_p_with_bit_255_clear(string hex, bool canonical) =>
        Assert.Equal(canonical, X25519PublicKey.IsCanonical(Convert.FromHexString(hex)));
}
