using System.Security.Cryptography;

namespace SecureChat.Crypto.Sodium;

/// <summary>
/// Span-taking wrappers over <see cref="SodiumNative"/>: every length is checked before a pointer
/// reaches native code, keys are passed per call (nothing of ours is cached inside libsodium), and
/// nothing allocates. <c>sodium_init()</c> runs once, before the first call (the static constructor).
/// </summary>
internal static unsafe class Sodium
{
    public const int X25519KeySize = 32;
    public const int HkdfSha256KeySize = 32;
    public const int Sha256Size = 32;

    /// <summary>Room for a crypto_hash_sha256_state (104 bytes in libsodium 1.0.22; checked at start-up).</summary>
    private const int Sha256StateSize = 128;
    public const int AesGcmKeySize = 32;
    public const int AesGcmNonceSize = 12;
    public const int AesGcmTagSize = 16;

    /// <summary>sizeof(crypto_aead_aes256gcm_state): 512 bytes, aligned to 16 (checked at start-up).</summary>
    public const int Aes256GcmStateSize = 512;

    /// <summary>The alignment crypto_aead_aes256gcm_state requires (CRYPTO_ALIGN(16) in the header).</summary>
    public const int Aes256GcmStateAlignment = 16;
    public const int MlKem768PublicKeySize = 1184;
    public const int MlKem768SecretKeySize = 2400;
    public const int MlKem768CiphertextSize = 1088;
    public const int MlKem768SharedSecretSize = 32;
    public const int MlKem768SeedSize = 64;
    public const int MlKem768EncapsulationSeedSize = 32;
    public const int Ristretto255PointSize = 32;
    public const int Ristretto255ScalarSize = 32;
    public const int Ristretto255HashSize = 64;

    static Sodium()
    {
        // 0 = initialised now, 1 = already initialised, -1 = failure (no usable randomness source).
        if (SodiumNative.Init() < 0)
        {
            throw new CryptographicException("libsodium could not be initialised (sodium_init failed).");
        }

        IsAes256GcmAvailable = SodiumNative.Aes256GcmIsAvailable() == 1;
        if (SodiumNative.Sha256StateBytes() > Sha256StateSize)
        {
            throw new CryptographicException("libsodium's SHA-256 state is larger than this binding expects.");
        }

        if (SodiumNative.Aes256GcmStateBytes() != Aes256GcmStateSize)
        {
            throw new CryptographicException("libsodium's AES-256-GCM state is not the size this binding expects.");
        }
    }

    /// <summary>True when this CPU has the AES-NI and PCLMUL instructions libsodium's AES-256-GCM needs.</summary>
    public static bool IsAes256GcmAvailable { get; }

    /// <summary>Makes sure libsodium is initialised (runs the static constructor).</summary>
    public static void EnsureInitialized()
    {
    }

    /// <summary>
    /// AES-256-GCM seal: <paramref name="ciphertext"/> (same length as the plaintext; may be the same
    /// memory) and a 16-byte <paramref name="tag"/>.
    /// </summary>
    public static void Aes256GcmEncrypt(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckLength(key, AesGcmKeySize, nameof(key));
        CheckLength(nonce, AesGcmNonceSize, nameof(nonce));
        CheckLength(tag, AesGcmTagSize, nameof(tag));
        CheckLength(ciphertext, plaintext.Length, nameof(ciphertext));
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* a = ad)
        fixed (byte* m = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        {
            ulong tagLength;
            if (SodiumNative.Aes256GcmEncryptDetached(c, t, &tagLength, m, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, k) != 0)
            {
                throw new CryptographicException("AES-256-GCM encryption failed.");
            }
        }
    }

    /// <summary>AES-256-GCM open. Returns false (and wipes <paramref name="plaintext"/>) when the tag does not verify.</summary>
    public static bool Aes256GcmDecrypt(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        CheckLength(key, AesGcmKeySize, nameof(key));
        CheckLength(nonce, AesGcmNonceSize, nameof(nonce));
        CheckLength(tag, AesGcmTagSize, nameof(tag));
        CheckLength(plaintext, ciphertext.Length, nameof(plaintext));
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* a = ad)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* m = plaintext)
        {
            if (SodiumNative.Aes256GcmDecryptDetached(m, null, c, (ulong)ciphertext.Length, t, a, (ulong)ad.Length, n, k) != 0)
            {
                CryptographicOperations.ZeroMemory(plaintext);
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// crypto_aead_aes256gcm_beforenm: expands <paramref name="key"/> into <paramref name="state"/>
    /// (a crypto_aead_aes256gcm_state: 512 bytes at a 16-byte-aligned address, in memory the caller
    /// owns and wipes: it holds the round keys, the first two of which are the key itself).
    /// </summary>
    public static void Aes256GcmExpandKey(ReadOnlySpan<byte> key, Span<byte> state)
    {
        CheckLength(key, AesGcmKeySize, nameof(key));
        fixed (byte* k = key)
        fixed (byte* ctx = state)
        {
            CheckState(ctx, state.Length);
            if (SodiumNative.Aes256GcmBeforeNm(ctx, k) != 0)
            {
                throw new CryptographicException("AES-256-GCM key expansion failed.");
            }
        }
    }

    /// <summary>
    /// AES-256-GCM seal with a key expanded by <see cref="Aes256GcmExpandKey"/>
    /// (crypto_aead_aes256gcm_encrypt_detached_afternm): the same bytes as <see cref="Aes256GcmEncrypt"/>, without setting the key up again.
    /// </summary>
    public static void Aes256GcmEncryptWithState(
        ReadOnlySpan<byte> state, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckLength(nonce, AesGcmNonceSize, nameof(nonce));
        CheckLength(tag, AesGcmTagSize, nameof(tag));
        CheckLength(ciphertext, plaintext.Length, nameof(ciphertext));

        // A pointer that is never null (c and m are declared nonnull), for an empty message.
        byte none = 0;
        fixed (byte* ctx = state)
        fixed (byte* n = nonce)
        fixed (byte* a = ad)
        fixed (byte* m = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        {
            CheckState(ctx, state.Length);
            ulong tagLength;
            if (SodiumNative.Aes256GcmEncryptDetachedAfterNm(c == null ? &none : c, t, &tagLength, m == null ? &none : m, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, ctx) != 0)
            {
                throw new CryptographicException("AES-256-GCM encryption failed.");
            }
        }
    }

    /// <summary>
    /// AES-256-GCM open with a key expanded by <see cref="Aes256GcmExpandKey"/>
    /// (crypto_aead_aes256gcm_decrypt_detached_afternm). Returns false (and wipes
    /// <paramref name="plaintext"/>) when the tag does not verify.
    /// </summary>
    public static bool Aes256GcmDecryptWithState(
        ReadOnlySpan<byte> state, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        CheckLength(nonce, AesGcmNonceSize, nameof(nonce));
        CheckLength(tag, AesGcmTagSize, nameof(tag));
        CheckLength(plaintext, ciphertext.Length, nameof(plaintext));
        byte none = 0;
        fixed (byte* ctx = state)
        fixed (byte* n = nonce)
        fixed (byte* a = ad)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* m = plaintext)
        {
            CheckState(ctx, state.Length);
            if (SodiumNative.Aes256GcmDecryptDetachedAfterNm(m == null ? &none : m, null, c == null ? &none : c, (ulong)ciphertext.Length, t, a, (ulong)ad.Length, n, ctx) != 0)
            {
                CryptographicOperations.ZeroMemory(plaintext);
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// X25519(scalar, point) of RFC 7748 §5. Returns false when the result is all zero (a low-order
    /// point: libsodium checks this and fails), in which case <paramref name="shared"/> is wiped.
    /// </summary>
    public static bool X25519(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, Span<byte> shared)
    {
        CheckLength(scalar, X25519KeySize, nameof(scalar));
        CheckLength(point, X25519KeySize, nameof(point));
        CheckLength(shared, X25519KeySize, nameof(shared));
        fixed (byte* n = scalar)
        fixed (byte* p = point)
        fixed (byte* q = shared)
        {
            if (SodiumNative.X25519(q, n, p) != 0)
            {
                CryptographicOperations.ZeroMemory(shared);
                return false;
            }
        }

        return true;
    }

    /// <summary>X25519(scalar, 9): the public key of a private key.</summary>
    public static void X25519Base(ReadOnlySpan<byte> scalar, Span<byte> publicKey)
    {
        CheckLength(scalar, X25519KeySize, nameof(scalar));
        CheckLength(publicKey, X25519KeySize, nameof(publicKey));
        fixed (byte* n = scalar)
        fixed (byte* q = publicKey)
        {
            if (SodiumNative.X25519Base(q, n) != 0)
            {
                throw new CryptographicException("X25519 public key derivation failed.");
            }
        }
    }

    /// <summary>
    /// SHA-256 of <paramref name="first"/> ‖ <paramref name="second"/> into <paramref name="digest"/>
    /// (which may overlap either input). libsodium's SHA-256 is portable C, without the SHA
    /// extensions OpenSSL uses, so it is the faster choice only for a few blocks of input.
    /// </summary>
    public static void Sha256(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> digest)
    {
        CheckLength(digest, Sha256Size, nameof(digest));
        byte* state = stackalloc byte[Sha256StateSize];
        fixed (byte* a = first)
        fixed (byte* b = second)
        fixed (byte* d = digest)
        {
            // libsodium's SHA-256 functions cannot fail; their result is checked all the same.
            int rc = SodiumNative.Sha256Init(state);
            rc |= first.IsEmpty ? 0 : SodiumNative.Sha256Update(state, a, (ulong)first.Length);
            rc |= second.IsEmpty ? 0 : SodiumNative.Sha256Update(state, b, (ulong)second.Length);
            rc |= SodiumNative.Sha256Final(state, d);
            if (rc != 0)
            {
                throw new CryptographicException("SHA-256 failed.");
            }
        }
    }

    /// <summary>
    /// HKDF-Extract with SHA-256 (RFC 5869 §2.2): <paramref name="prk"/> = HMAC-SHA256(<paramref name="salt"/>,
    /// <paramref name="inputKeyMaterial"/>). An empty input key material is allowed (Noise's Split()).
    /// </summary>
    public static void HkdfSha256Extract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> prk)
    {
        CheckLength(prk, HkdfSha256KeySize, nameof(prk));

        // A pointer that is never null, so that an empty span is an empty message, not a missing one.
        byte none = 0;
        fixed (byte* s = salt)
        fixed (byte* i = inputKeyMaterial)
        fixed (byte* k = prk)
        {
            if (SodiumNative.HkdfSha256Extract(k, salt.IsEmpty ? &none : s, (nuint)salt.Length, inputKeyMaterial.IsEmpty ? &none : i, (nuint)inputKeyMaterial.Length) != 0)
            {
                throw new CryptographicException("HKDF-SHA256 extract failed.");
            }
        }
    }

    /// <summary>HKDF-Expand with SHA-256 and empty info (RFC 5869 §2.3): fills <paramref name="output"/> (at most 255 × 32 bytes) from a 32-byte <paramref name="prk"/>.</summary>
    public static void HkdfSha256Expand(ReadOnlySpan<byte> prk, Span<byte> output)
    {
        CheckLength(prk, HkdfSha256KeySize, nameof(prk));
        if (output.IsEmpty || output.Length > 255 * HkdfSha256KeySize)
        {
            throw new ArgumentException("HKDF-SHA256 yields 1 to 8,160 bytes.", nameof(output));
        }

        byte none = 0;
        fixed (byte* k = prk)
        fixed (byte* o = output)
        {
            if (SodiumNative.HkdfSha256Expand(o, (nuint)output.Length, &none, 0, k) != 0)
            {
                throw new CryptographicException("HKDF-SHA256 expand failed.");
            }
        }
    }

    /// <summary>ML-KEM-768 key generation (FIPS 203 ML-KEM.KeyGen), from the system CSPRNG or, for test vectors, from a 64-byte seed.</summary>
    public static void MlKem768KeyPair(Span<byte> publicKey, Span<byte> secretKey, ReadOnlySpan<byte> seed = default)
    {
        CheckLength(publicKey, MlKem768PublicKeySize, nameof(publicKey));
        CheckLength(secretKey, MlKem768SecretKeySize, nameof(secretKey));
        if (!seed.IsEmpty)
        {
            CheckLength(seed, MlKem768SeedSize, nameof(seed));
        }

        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        fixed (byte* s = seed)
        {
            int rc = seed.IsEmpty ? SodiumNative.MlKem768KeyPair(pk, sk) : SodiumNative.MlKem768SeedKeyPair(pk, sk, s);
            if (rc != 0)
            {
                throw new CryptographicException("ML-KEM-768 key generation failed.");
            }
        }
    }

    /// <summary>
    /// ML-KEM-768 encapsulation (FIPS 203 ML-KEM.Encaps) to <paramref name="publicKey"/>; with a
    /// 32-byte <paramref name="seed"/> it is deterministic (test vectors only). Returns false when
    /// libsodium rejects the public key (FIPS 203 §7.2 input checks).
    /// </summary>
    public static bool MlKem768Encapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret, ReadOnlySpan<byte> seed = default)
    {
        CheckLength(publicKey, MlKem768PublicKeySize, nameof(publicKey));
        CheckLength(ciphertext, MlKem768CiphertextSize, nameof(ciphertext));
        CheckLength(sharedSecret, MlKem768SharedSecretSize, nameof(sharedSecret));
        if (!seed.IsEmpty)
        {
            CheckLength(seed, MlKem768EncapsulationSeedSize, nameof(seed));
        }

        fixed (byte* pk = publicKey)
        fixed (byte* ct = ciphertext)
        fixed (byte* ss = sharedSecret)
        fixed (byte* s = seed)
        {
            int rc = seed.IsEmpty ? SodiumNative.MlKem768Enc(ct, ss, pk) : SodiumNative.MlKem768EncDeterministic(ct, ss, pk, s);
            if (rc != 0)
            {
                CryptographicOperations.ZeroMemory(sharedSecret);
                return false;
            }
        }

        return true;
    }

    /// <summary>ML-KEM-768 decapsulation (FIPS 203 ML-KEM.Decaps; implicit rejection: a bad ciphertext gives an unrelated secret).</summary>
    public static bool MlKem768Decapsulate(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        CheckLength(secretKey, MlKem768SecretKeySize, nameof(secretKey));
        CheckLength(ciphertext, MlKem768CiphertextSize, nameof(ciphertext));
        CheckLength(sharedSecret, MlKem768SharedSecretSize, nameof(sharedSecret));
        fixed (byte* sk = secretKey)
        fixed (byte* ct = ciphertext)
        fixed (byte* ss = sharedSecret)
        {
            if (SodiumNative.MlKem768Dec(ss, ct, sk) != 0)
            {
                CryptographicOperations.ZeroMemory(sharedSecret);
                return false;
            }
        }

        return true;
    }

    /// <summary>crypto_core_ristretto255_from_hash: the ristretto255 one-way map of a 64-byte string (RFC 9496 §4.3.4).</summary>
    public static void Ristretto255FromHash(ReadOnlySpan<byte> hash, Span<byte> point)
    {
        CheckLength(hash, Ristretto255HashSize, nameof(hash));
        CheckLength(point, Ristretto255PointSize, nameof(point));
        fixed (byte* r = hash)
        fixed (byte* p = point)
        {
            if (SodiumNative.Ristretto255FromHash(p, r) != 0)
            {
                throw new CryptographicException("ristretto255 hash-to-group failed.");
            }
        }
    }

    /// <summary>True when <paramref name="point"/> is a canonical encoding of a ristretto255 element other than the identity.</summary>
    public static bool Ristretto255IsValidPoint(ReadOnlySpan<byte> point)
    {
        if (point.Length != Ristretto255PointSize)
        {
            return false;
        }

        fixed (byte* p = point)
        {
            return SodiumNative.Ristretto255IsValidPoint(p) == 1;
        }
    }

    /// <summary>A uniformly random scalar in [1, L) from libsodium's CSPRNG.</summary>
    public static void Ristretto255ScalarRandom(Span<byte> scalar)
    {
        CheckLength(scalar, Ristretto255ScalarSize, nameof(scalar));
        fixed (byte* r = scalar)
        {
            SodiumNative.Ristretto255ScalarRandom(r);
        }
    }

    /// <summary>
    /// scalar · point on ristretto255. Returns false when <paramref name="point"/> is not a valid
    /// encoding or the result is the identity element (libsodium fails both), with the output wiped.
    /// </summary>
    public static bool Ristretto255ScalarMult(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, Span<byte> result)
    {
        CheckLength(scalar, Ristretto255ScalarSize, nameof(scalar));
        CheckLength(point, Ristretto255PointSize, nameof(point));
        CheckLength(result, Ristretto255PointSize, nameof(result));
        fixed (byte* n = scalar)
        fixed (byte* p = point)
        fixed (byte* q = result)
        {
            if (SodiumNative.Ristretto255ScalarMult(q, n, p) != 0)
            {
                CryptographicOperations.ZeroMemory(result);
                return false;
            }
        }

        return true;
    }

    /// <summary>sodium_memzero: wipes <paramref name="secret"/> in a way the compiler cannot drop.</summary>
    public static void MemZero(Span<byte> secret)
    {
        fixed (byte* p = secret)
        {
            SodiumNative.MemZero(p, (nuint)secret.Length);
        }
    }

    private static void CheckState(byte* state, int length)
    {
        if (length != Aes256GcmStateSize || (nuint)state % Aes256GcmStateAlignment != 0)
        {
            throw new ArgumentException("An AES-256-GCM state is 512 bytes at an address aligned to 16.", nameof(state));
        }
    }

    private static void CheckLength(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} bytes, got {span.Length}.", name);
        }
    }
}
