using System.Security.Cryptography;
using SecureChat.Identity;

namespace SecureChat.Tests.Identities;

/// <summary>The v1 → v2 cross-signature (issue 12 §7): round trip, every bit of every input matters, hostile input is false.</summary>
public sealed class V1CrossSignatureTests
{
    private static readonly byte[] H = Convert.FromHexString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0");
    private static readonly byte[] NewKey = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");

    [Fact]
    public void A_signature_verifies_and_yields_the_v1_public_key()
    {
        using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (string key, string sig) = V1CrossSignature.Create(v1, H, NewKey);
        Assert.True(V1CrossSignature.Verify(key, sig, H, NewKey, out byte[] publicKey));
        ECParameters q = v1.ExportParameters(false);
        Assert.Equal([0x04, .. q.Q.X!, .. q.Q.Y!], publicKey);
        Assert.Equal(64, Convert.FromBase64String(sig).Length);
    }

    [Fact]
    public void The_signature_is_ecdsa_p256_sha256_p1363_over_the_documented_message()
    {
        using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (_, string sig) = V1CrossSignature.Create(v1, H, NewKey);
        byte[] message = [.. "SecureChat v1->v2"u8, .. H, .. NewKey];
        Assert.True(v1.VerifyData(message, Convert.FromBase64String(sig), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Flipping_any_bit_of_any_input_makes_it_fail()
    {
        using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (string key, string sig) = V1CrossSignature.Create(v1, H, NewKey);
        byte[] keyBytes = Convert.FromBase64String(key);
        byte[] sigBytes = Convert.FromBase64String(sig);
        int checkedCases = 0;
        for (int bit = 0; bit < keyBytes.Length * 8; bit++)
        {
            Assert.False(V1CrossSignature.Verify(Convert.ToBase64String(Flip(keyBytes, bit)), sig, H, NewKey, out byte[] none), $"key bit {bit}");
            Assert.Empty(none);
            checkedCases++;
        }

        for (int bit = 0; bit < sigBytes.Length * 8; bit++)
        {
            Assert.False(V1CrossSignature.Verify(key, Convert.ToBase64String(Flip(sigBytes, bit)), H, NewKey, out _), $"sig bit {bit}");
        }

        for (int bit = 0; bit < H.Length * 8; bit++)
        {
            Assert.False(V1CrossSignature.Verify(key, sig, Flip(H, bit), NewKey, out _), $"h bit {bit}");
        }

        for (int bit = 0; bit < NewKey.Length * 8; bit++)
        {
            Assert.False(V1CrossSignature.Verify(key, sig, H, Flip(NewKey, bit), out _), $"new key bit {bit}");
        }

        Assert.Equal(520, checkedCases);
    }

    [Fact]
    public void A_signature_by_another_v1_key_fails()
    {
        using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (string key, _) = V1CrossSignature.Create(v1, H, NewKey);
        (_, string otherSig) = V1CrossSignature.Create(other, H, NewKey);
        Assert.False(V1CrossSignature.Verify(key, otherSig, H, NewKey, out _));
    }

    public static TheoryData<string?, string?> Garbage
    {
        get
        {
            using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            (string key, string sig) = V1CrossSignature.Create(v1, H, NewKey);
            byte[] offCurve = Convert.FromBase64String(key);
            offCurve[64] ^= 1;
            byte[] compressed = [0x02, .. Convert.FromBase64String(key)[1..33]];
            return new TheoryData<string?, string?>
            {
                { null, sig },
                { key, null },
                { "", sig },
                { key, "" },
                { "!!!!", sig },
                { key, "not base64 at all" },
                { key.TrimEnd('='), sig },                           // no padding: not the canonical spelling
                { " " + key, sig },                                  // white space Convert would accept
                { key[..^4] + "\n" + key[^4..], sig },
                { Convert.ToBase64String(compressed), sig },
                { Convert.ToBase64String(offCurve), sig },
                { Convert.ToBase64String(new byte[65]), sig },
                { Convert.ToBase64String([0x04, .. new byte[64]]), sig },
                { Convert.ToBase64String(new byte[64]), sig },
                { key, Convert.ToBase64String(new byte[64]) },
                { key, Convert.ToBase64String(new byte[63]) },
                { key, Convert.ToBase64String(new byte[72]) },
                { key, Convert.ToBase64String(Enumerable.Repeat((byte)0xff, 64).ToArray()) },
                { new string('A', 100_000), sig },
                { key, new string('A', 100_000) },
            };
        }
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Hostile_input_is_false_and_never_throws(string? key, string? sig)
    {
        Assert.False(V1CrossSignature.Verify(key, sig, H, NewKey, out byte[] publicKey));
        Assert.Empty(publicKey);
    }

    [Fact]
    public void Wrong_lengths_of_h_or_the_new_key_are_false_on_verify_and_argument_errors_on_create()
    {
        using var v1 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (string key, string sig) = V1CrossSignature.Create(v1, H, NewKey);
        Assert.False(V1CrossSignature.Verify(key, sig, H.AsSpan(0, 31), NewKey, out _));
        Assert.False(V1CrossSignature.Verify(key, sig, H, [.. NewKey, 0], out _));
        Assert.Throws<ArgumentException>(() => V1CrossSignature.Create(v1, H.AsSpan(0, 31), NewKey));
        Assert.Throws<ArgumentException>(() => V1CrossSignature.Create(v1, H, NewKey.AsSpan(0, 31)));
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => V1CrossSignature.Create(p384, H, NewKey));
    }

    private static byte[] Flip(byte[] input, int bit)
    {
        byte[] copy = (byte[])input.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}
