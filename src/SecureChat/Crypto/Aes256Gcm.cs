using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// The AESGCM cipher functions of Noise §12.3: AES-256-GCM with a 16-byte tag and a 12-byte nonce
/// made of 4 zero bytes followed by the 64-bit counter n, big-endian. Ciphertext output is
/// ciphertext ‖ tag, as Noise specifies.
/// </summary>
internal static class Aes256Gcm
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>ENCRYPT(k, n, ad, plaintext): writes plaintext.Length + 16 bytes. In place is allowed.</summary>
    public static void Encrypt(ReadOnlySpan<byte> key, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (destination.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException("The destination must hold the ciphertext and the 16-byte tag.", nameof(destination));
        }

        using var aes = new AesGcm(key, TagSize);
        Encrypt(aes, n, ad, plaintext, destination);
    }

    /// <summary>ENCRYPT with a key already set up in <paramref name="aes"/> (one key schedule serves a message and its Rekey()).</summary>
    public static void Encrypt(AesGcm aes, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (destination.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException("The destination must hold the ciphertext and the 16-byte tag.", nameof(destination));
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination[plaintext.Length..], ad);
    }

    /// <summary>DECRYPT(k, n, ad, ciphertext): false when authentication fails, with the destination wiped.</summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        using var aes = new AesGcm(key, TagSize);
        return TryDecrypt(aes, n, ad, ciphertext, destination);
    }

    /// <summary>DECRYPT with a key already set up in <paramref name="aes"/>.</summary>
    public static bool TryDecrypt(AesGcm aes, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (ciphertext.Length < TagSize || destination.Length != ciphertext.Length - TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        int bodyLength = ciphertext.Length - TagSize;
        try
        {
            aes.Decrypt(nonce, ciphertext[..bodyLength], ciphertext[bodyLength..], destination, ad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(destination);
            return false;
        }
    }

    /// <summary>REKEY(k) of Noise §12.3/§4.2: the first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes).</summary>
    public static void Rekey(ReadOnlySpan<byte> key, Span<byte> newKey)
    {
        if (newKey.Length != KeySize)
        {
            throw new ArgumentException("A rekeyed key is 32 bytes.", nameof(newKey));
        }

        using var aes = new AesGcm(key, TagSize);
        Rekey(aes, newKey);
    }

    /// <summary>REKEY with the current key already set up in <paramref name="aes"/>.</summary>
    public static void Rekey(AesGcm aes, Span<byte> newKey)
    {
        if (newKey.Length != KeySize)
        {
            throw new ArgumentException("A rekeyed key is 32 bytes.", nameof(newKey));
        }

        Span<byte> block = stackalloc byte[KeySize + TagSize];
        try
        {
            block[..KeySize].Clear();
            Encrypt(aes, ulong.MaxValue, [], block[..KeySize], block);
            block[..KeySize].CopyTo(newKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    private static void WriteNonce(ulong n, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], n);
    }
}
