using SecureChat.Crypto.Sodium;

namespace SecureChat.Tests.Vectors;

/// <summary>The libsodium bindings load, and each wrapper gives the published answer or round-trips.</summary>
public sealed class SodiumBindingTests
{
    [Fact]
    public void X25519MatchesRfc7748Section6_1()
    {
        // RFC 7748 §6.1: Alice's private key, Bob's public key, their shared secret.
        byte[] alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] alicePublic = new byte[32];
        byte[] shared = new byte[32];
        Sodium.X25519Base(alicePrivate, alicePublic);
        Assert.True(Sodium.X25519(alicePrivate, bobPublic, shared));
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(alicePublic));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Convert.ToHexStringLower(shared));
    }

    [Fact]
    public void X25519RejectsALowOrderPoint()
    {
        byte[] scalar = new byte[32];
        scalar[0] = 1;
        byte[] shared = new byte[32];
        Assert.False(Sodium.X25519(scalar, new byte[32], shared));
    }

    [Fact]
    public void MlKem768RoundTrips()
    {
        byte[] pk = new byte[Sodium.MlKem768PublicKeySize];
        byte[] sk = new byte[Sodium.MlKem768SecretKeySize];
        byte[] ct = new byte[Sodium.MlKem768CiphertextSize];
        byte[] ss1 = new byte[32];
        byte[] ss2 = new byte[32];
        Sodium.MlKem768KeyPair(pk, sk);
        Assert.True(Sodium.MlKem768Encapsulate(pk, ct, ss1));
        Assert.True(Sodium.MlKem768Decapsulate(sk, ct, ss2));
        Assert.Equal(ss1, ss2);
        ct[5] ^= 1;
        Assert.True(Sodium.MlKem768Decapsulate(sk, ct, ss2));
        Assert.NotEqual(ss1, ss2);
    }

    [Fact]
    public void Ristretto255ScalarMultRejectsAnInvalidPoint()
    {
        byte[] scalar = new byte[32];
        Sodium.Ristretto255ScalarRandom(scalar);
        byte[] bad = new byte[32];
        bad[0] = 0xff;
        Assert.False(Sodium.Ristretto255IsValidPoint(bad));
        Assert.False(Sodium.Ristretto255ScalarMult(scalar, bad, new byte[32]));
    }

    [Fact]
    public void AesGcmRoundTripsAndRejectsATamperedTag()
    {
        Assert.True(Sodium.IsAes256GcmAvailable, "libsodium reports no AES-256-GCM on this CPU (AES-NI and PCLMUL are needed).");
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        byte[] plaintext = "hello"u8.ToArray();
        byte[] ciphertext = new byte[plaintext.Length];
        byte[] tag = new byte[16];
        Sodium.Aes256GcmEncrypt(key, nonce, [], plaintext, ciphertext, tag);
        byte[] opened = new byte[plaintext.Length];
        Assert.True(Sodium.Aes256GcmDecrypt(key, nonce, [], ciphertext, tag, opened));
        Assert.Equal(plaintext, opened);
        tag[0] ^= 1;
        Assert.False(Sodium.Aes256GcmDecrypt(key, nonce, [], ciphertext, tag, opened));
    }
}
