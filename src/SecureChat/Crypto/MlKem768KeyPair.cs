using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// An ML-KEM-768 key pair (FIPS 203) through libsodium's <c>crypto_kem_mlkem768_*</c>: public
/// (encapsulation) key 1,184 bytes, secret (decapsulation) key 2,400 bytes in a pinned
/// <see cref="SecretBuffer"/> (optionally tracked by a <see cref="SecretRegistry"/>), ciphertext
/// 1,088 bytes, shared secret 32 bytes. The KEM of the Noise hfs modifier in SecureChat v2.
/// </summary>
internal sealed class MlKem768KeyPair : IDisposable
{
    public const int PublicKeySize = Sodium.Sodium.MlKem768PublicKeySize;
    public const int SecretKeySize = Sodium.Sodium.MlKem768SecretKeySize;
    public const int CiphertextSize = Sodium.Sodium.MlKem768CiphertextSize;
    public const int SharedSecretSize = Sodium.Sodium.MlKem768SharedSecretSize;
    public const int SeedSize = Sodium.Sodium.MlKem768SeedSize;
    public const int EncapsulationSeedSize = Sodium.Sodium.MlKem768EncapsulationSeedSize;

    private readonly SecretBuffer _secret;
    private readonly byte[] _public = new byte[PublicKeySize];

    private MlKem768KeyPair(SecretRegistry? registry)
    {
        _secret = new SecretBuffer(SecretKeySize, registry, SecretLabels.MlKemSecretKey);
    }

    /// <summary>The 1,184-byte encapsulation key.</summary>
    public ReadOnlySpan<byte> PublicKey => _public;

    /// <summary>A fresh key pair (ML-KEM.KeyGen with randomness from libsodium's CSPRNG).</summary>
    public static MlKem768KeyPair Generate(SecretRegistry? registry = null) => Create(default, registry);

    /// <summary>The key pair of a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal): test vectors only.</summary>
    public static MlKem768KeyPair FromSeed(ReadOnlySpan<byte> seed64, SecretRegistry? registry = null)
    {
        if (seed64.Length != SeedSize)
        {
            throw new ArgumentException("An ML-KEM-768 key seed is 64 bytes.", nameof(seed64));
        }

        return Create(seed64, registry);
    }

    private static MlKem768KeyPair Create(ReadOnlySpan<byte> seed, SecretRegistry? registry)
    {
        var pair = new MlKem768KeyPair(registry);
        try
        {
            Sodium.Sodium.MlKem768KeyPair(pair._public, pair._secret.Span, seed);
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ML-KEM.Encaps to <paramref name="publicKey"/>: writes the 1,088-byte ciphertext and the
    /// 32-byte shared secret. A 32-byte <paramref name="seed"/> makes it deterministic (test vectors only).
    /// </summary>
    /// <exception cref="ProtocolViolationException">The peer's encapsulation key fails the FIPS 203 §7.2 checks (or has the wrong length).</exception>
    public static void Encapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret, ReadOnlySpan<byte> seed = default)
    {
        if (publicKey.Length != PublicKeySize)
        {
            throw new ProtocolViolationException("The peer's ML-KEM-768 public key has the wrong length.");
        }

        if (!Sodium.Sodium.MlKem768Encapsulate(publicKey, ciphertext, sharedSecret, seed))
        {
            throw new ProtocolViolationException("The peer's ML-KEM-768 public key is not valid.");
        }
    }

    /// <summary>
    /// ML-KEM.Decaps of a 1,088-byte ciphertext into the 32-byte shared secret. A forged ciphertext
    /// gives an unrelated secret (implicit rejection), so the handshake fails at the next AEAD check.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The ciphertext has the wrong length.</exception>
    public void Decapsulate(ReadOnlySpan<byte> ct, Span<byte> ss32)
    {
        if (ct.Length != CiphertextSize)
        {
            throw new ProtocolViolationException("An ML-KEM-768 ciphertext has the wrong length.");
        }

        if (!Sodium.Sodium.MlKem768Decapsulate(_secret.Span, ct, ss32))
        {
            throw new CryptographicException("ML-KEM-768 decapsulation failed.");
        }
    }

    public void Dispose() => _secret.Dispose();
}
