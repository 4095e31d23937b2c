using System.Security.Cryptography;
using SecureChat.Crypto;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// ECDH over P-256 with uncompressed-point public keys (Wycheproof ecdh_secp256r1_ecpoint_test.json),
/// run through <see cref="P256PublicKey"/> and <see cref="P256KeyPair"/>.
/// </summary>
public class WycheproofEcdhP256Tests(ITestOutputHelper output)
{
    private const string FileName = "ecdh_secp256r1_ecpoint_test.json";

    private static IReadOnlyList<WycheproofCase> Load() => WycheproofFile.Load(FileName, "ECDH");

    /// <summary>
    /// Wycheproof rates a compressed public key "acceptable": a library may support it. Our wire format
    /// is only the 65-byte uncompressed point, so that is a reason to reject it.
    /// </summary>
    private static bool IsCompressed(WycheproofCase v) => v.HasFlag("CompressedPublic") || v.HasFlag("CompressedPoint");

    /// <summary>Valid vectors, and acceptable ones we have no reason to reject.</summary>
    private static bool MustAgree(WycheproofCase v) => v.IsValid || (v.IsAcceptable && !IsCompressed(v));

    [Fact]
    public void Ecdh_valid_vectors_give_the_listed_shared_secret()
    {
        var vectors = Load().Where(MustAgree).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                if (!P256PublicKey.TryParse(v.Bytes("public"), out P256PublicKey? peer))
                {
                    failures.Add(v, "TryParse rejected the public key");
                    return;
                }

                using (peer)
                using (P256KeyPair pair = P256KeyPair.FromPrivateScalar(NormalizeScalar(v.Bytes("private"))))
                {
                    byte[] shared = new byte[P256KeyPair.DhLength];
                    pair.DeriveSharedSecret(peer, shared);
                    byte[] expected = v.Bytes("shared");
                    if (!shared.AsSpan().SequenceEqual(expected))
                    {
                        failures.Add(v, $"shared {Convert.ToHexStringLower(shared)}, expected {Convert.ToHexStringLower(expected)}");
                    }
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} valid vectors checked.");
        Assert.Equal(330, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Ecdh_invalid_public_points_are_all_rejected()
    {
        var vectors = Load().Where(v => v.IsInvalid).ToList();
        var failures = new VectorFailures();
        int rejectedByParse = 0;
        int rejectedByDerivation = 0;
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                if (!P256PublicKey.TryParse(v.Bytes("public"), out P256PublicKey? peer))
                {
                    rejectedByParse++;
                    return;
                }

                using (peer)
                using (P256KeyPair pair = P256KeyPair.FromPrivateScalar(NormalizeScalar(v.Bytes("private"))))
                {
                    byte[] shared = new byte[P256KeyPair.DhLength];
                    try
                    {
                        pair.DeriveSharedSecret(peer, shared);
                        failures.Add(v, $"an invalid public key was accepted and gave shared {Convert.ToHexStringLower(shared)}");
                    }
                    catch (CryptographicException)
                    {
                        rejectedByDerivation++;
                    }
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} invalid vectors checked; {rejectedByParse} rejected by TryParse, {rejectedByDerivation} by the derivation.");
        Assert.Equal(24, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Ecdh_acceptable_compressed_public_key_is_rejected_because_the_wire_format_is_uncompressed()
    {
        var vectors = Load().Where(v => v.IsAcceptable).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors.Where(IsCompressed))
        {
            failures.Check(v, () =>
            {
                if (P256PublicKey.TryParse(v.Bytes("public"), out P256PublicKey? peer))
                {
                    peer.Dispose();
                    failures.Add(v, "TryParse accepted a compressed point");
                }
            });
        }

        // Acceptable vectors of any other kind must agree, and are run by the valid-vector test.
        output.WriteLine($"{FileName}: {vectors.Count} acceptable vector(s), {vectors.Count(IsCompressed)} compressed (must be rejected).");
        Assert.Single(vectors);
        failures.AssertNone();
    }

    [Fact]
    public void Ecdh_private_scalars_are_normalised_to_32_bytes_big_endian()
    {
        Assert.Equal(new byte[31].Append((byte)1), NormalizeScalar([1]));
        Assert.Equal(Enumerable.Repeat((byte)0xFF, 32), NormalizeScalar([0, .. Enumerable.Repeat((byte)0xFF, 32)]));
        Assert.Throws<ArgumentException>(() => NormalizeScalar([1, .. new byte[32]]));
    }

    /// <summary>
    /// Wycheproof writes the private scalar as a minimal two's-complement integer: a leading 00 when
    /// the top bit is set, fewer than 32 bytes when it is small. P256KeyPair wants exactly 32 bytes.
    /// </summary>
    private static byte[] NormalizeScalar(byte[] scalar)
    {
        ReadOnlySpan<byte> s = scalar;
        while (s.Length > 32 && s[0] == 0)
        {
            s = s[1..];
        }

        if (s.Length > 32)
        {
            throw new ArgumentException("The scalar does not fit in 32 bytes.", nameof(scalar));
        }

        byte[] normalized = new byte[32];
        s.CopyTo(normalized.AsSpan(32 - s.Length));
        return normalized;
    }
}
