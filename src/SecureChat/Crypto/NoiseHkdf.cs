using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// HKDF(chaining_key, input_key_material, num_outputs) of Noise §4.3 with HASH = SHA-256.
/// Noise's definition (temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, 0x01);
/// output2 = HMAC(temp_key, output1 ‖ 0x02); output3 = HMAC(temp_key, output2 ‖ 0x03)) is exactly
/// RFC 5869 Extract with salt = ck followed by Expand with empty info: both are libsodium's
/// <c>crypto_kdf_hkdf_sha256_*</c>, which take an empty input key material (Split() needs
/// HKDF(ck, zerolen, 2)) and wipe their HMAC states. Through libsodium a handshake's eleven
/// derivations cost no OpenSSL context, provider fetch or parameter array each.
/// </summary>
internal static class NoiseHkdf
{
    public const int HashLen = 32;

    /// <summary>Fills <paramref name="output"/> with 2 or 3 concatenated 32-byte outputs.</summary>
    public static void Derive(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        if (output.Length != 2 * HashLen && output.Length != 3 * HashLen)
        {
            throw new ArgumentException("Noise HKDF yields two or three 32-byte outputs.", nameof(output));
        }

        Span<byte> tempKey = stackalloc byte[HashLen];
        try
        {
            Sodium.Sodium.HkdfSha256Extract(chainingKey, inputKeyMaterial, tempKey);
            Sodium.Sodium.HkdfSha256Expand(tempKey, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempKey);
        }
    }
}
