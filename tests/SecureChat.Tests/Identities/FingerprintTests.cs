using System.Security.Cryptography;
using SecureChat.Identity;

namespace SecureChat.Tests.Identities;

/// <summary>Fingerprints of v1 (P-256, 65 bytes) and v2 (X25519, 32 bytes) public keys (issue 12 §7).</summary>
public sealed class FingerprintTests
{
    [Fact]
    public void An_x25519_public_key_has_the_sha256_fingerprint_of_its_32_bytes()
    {
        // RFC 7748 §6.1, Alice's public key.
        byte[] publicKey = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        string expected = "SHA256:" + Convert.ToBase64String(SHA256.HashData(publicKey)).TrimEnd('=');
        Assert.Equal(expected, Fingerprint.Of(publicKey));
        Assert.True(Fingerprint.IsWellFormed(Fingerprint.Of(publicKey)));
    }

    [Fact]
    public void A_p256_public_key_still_has_its_v1_fingerprint()
    {
        using var id = IdentityKeyPair.Generate();
        string expected = "SHA256:" + Convert.ToBase64String(SHA256.HashData(id.PublicKey.Span)).TrimEnd('=');
        Assert.Equal(expected, Fingerprint.Of(id.PublicKey.Span));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(66)]
    public void Other_lengths_are_refused(int length)
    {
        Assert.Throws<ArgumentException>(() => Fingerprint.Of(new byte[length]));
    }
}
