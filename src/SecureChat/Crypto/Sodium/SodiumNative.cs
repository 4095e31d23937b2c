using System.Runtime.InteropServices;

namespace SecureChat.Crypto.Sodium;

/// <summary>
/// The libsodium functions SecureChat calls, and only those (libsodium 1.0.22, from the official
/// <c>libsodium</c> NuGet package). Raw pointers and lengths exactly as the C headers declare them;
/// <see cref="Sodium"/> wraps each in a span-taking method that checks the lengths first.
/// <c>unsigned long long</c> is <see cref="ulong"/>, <c>size_t</c> is <see cref="nuint"/>.
/// </summary>
internal static unsafe partial class SodiumNative
{
    private const string Library = "libsodium";

    [LibraryImport(Library, EntryPoint = "sodium_init")]
    internal static partial int Init();

    // utils.h

    [LibraryImport(Library, EntryPoint = "sodium_memzero")]
    internal static partial void MemZero(byte* pnt, nuint len);

    // crypto_aead_aes256gcm.h

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_is_available")]
    internal static partial int Aes256GcmIsAvailable();

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_encrypt_detached")]
    internal static partial int Aes256GcmEncryptDetached(
        byte* c, byte* mac, ulong* maclen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_decrypt_detached")]
    internal static partial int Aes256GcmDecryptDetached(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);

    // The precomputation interface: the key expanded once into a crypto_aead_aes256gcm_state
    // (512 bytes, CRYPTO_ALIGN(16)), then used by the _afternm functions.

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_statebytes")]
    internal static partial nuint Aes256GcmStateBytes();

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_beforenm")]
    internal static partial int Aes256GcmBeforeNm(byte* ctx, byte* k);

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_encrypt_detached_afternm")]
    internal static partial int Aes256GcmEncryptDetachedAfterNm(
        byte* c, byte* mac, ulong* maclen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* ctx);

    [LibraryImport(Library, EntryPoint = "crypto_aead_aes256gcm_decrypt_detached_afternm")]
    internal static partial int Aes256GcmDecryptDetachedAfterNm(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* ctx);

    // crypto_scalarmult_curve25519.h

    [LibraryImport(Library, EntryPoint = "crypto_scalarmult_curve25519")]
    internal static partial int X25519(byte* q, byte* n, byte* p);

    [LibraryImport(Library, EntryPoint = "crypto_scalarmult_curve25519_base")]
    internal static partial int X25519Base(byte* q, byte* n);

    // crypto_hash_sha256.h (the state is 104 bytes: crypto_hash_sha256_statebytes())

    [LibraryImport(Library, EntryPoint = "crypto_hash_sha256_statebytes")]
    internal static partial nuint Sha256StateBytes();

    [LibraryImport(Library, EntryPoint = "crypto_hash_sha256_init")]
    internal static partial int Sha256Init(byte* state);

    [LibraryImport(Library, EntryPoint = "crypto_hash_sha256_update")]
    internal static partial int Sha256Update(byte* state, byte* input, ulong inputLength);

    [LibraryImport(Library, EntryPoint = "crypto_hash_sha256_final")]
    internal static partial int Sha256Final(byte* state, byte* output);

    // crypto_kdf_hkdf_sha256.h

    [LibraryImport(Library, EntryPoint = "crypto_kdf_hkdf_sha256_extract")]
    internal static partial int HkdfSha256Extract(byte* prk, byte* salt, nuint saltLength, byte* ikm, nuint ikmLength);

    [LibraryImport(Library, EntryPoint = "crypto_kdf_hkdf_sha256_expand")]
    internal static partial int HkdfSha256Expand(byte* output, nuint outputLength, byte* ctx, nuint ctxLength, byte* prk);

    // crypto_kem_mlkem768.h

    [LibraryImport(Library, EntryPoint = "crypto_kem_mlkem768_keypair")]
    internal static partial int MlKem768KeyPair(byte* pk, byte* sk);

    [LibraryImport(Library, EntryPoint = "crypto_kem_mlkem768_seed_keypair")]
    internal static partial int MlKem768SeedKeyPair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(Library, EntryPoint = "crypto_kem_mlkem768_enc")]
    internal static partial int MlKem768Enc(byte* ct, byte* ss, byte* pk);

    [LibraryImport(Library, EntryPoint = "crypto_kem_mlkem768_enc_deterministic")]
    internal static partial int MlKem768EncDeterministic(byte* ct, byte* ss, byte* pk, byte* seed);

    [LibraryImport(Library, EntryPoint = "crypto_kem_mlkem768_dec")]
    internal static partial int MlKem768Dec(byte* ss, byte* ct, byte* sk);

    // crypto_core_ristretto255.h, crypto_scalarmult_ristretto255.h

    [LibraryImport(Library, EntryPoint = "crypto_core_ristretto255_from_hash")]
    internal static partial int Ristretto255FromHash(byte* p, byte* r);

    [LibraryImport(Library, EntryPoint = "crypto_core_ristretto255_is_valid_point")]
    internal static partial int Ristretto255IsValidPoint(byte* p);

    [LibraryImport(Library, EntryPoint = "crypto_core_ristretto255_scalar_random")]
    internal static partial void Ristretto255ScalarRandom(byte* r);

    [LibraryImport(Library, EntryPoint = "crypto_scalarmult_ristretto255")]
    internal static partial int Ristretto255ScalarMult(byte* q, byte* n, byte* p);
}
