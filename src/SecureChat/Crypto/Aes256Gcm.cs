using System.Buffers.Binary;
using System.Security.Cryptography;
using SecureChat.Crypto.Sodium;

namespace SecureChat.Crypto;

/// <summary>
/// The AESGCM cipher functions of Noise §12.3: AES-256-GCM with a 16-byte tag and a 12-byte nonce
/// made of 4 zero bytes followed by the 64-bit counter n, big-endian. Ciphertext output is
/// ciphertext ‖ tag, as Noise specifies.
/// Two implementations give the same bytes: libsodium's <c>crypto_aead_aes256gcm_*_detached</c>
/// (used whenever the CPU has AES-NI and PCLMUL) and .NET's <see cref="AesGcm"/> (everywhere
/// else). Each has overloads that take the raw key (one key setup per call) and overloads that take
/// a key set up once: an <see cref="Aes256GcmState"/> (libsodium's precomputation interface,
/// <c>_beforenm</c> / <c>_afternm</c>) or an <see cref="AesGcm"/>, so that a message and the
/// Rekey() after it share one key setup. In-place operation (destination = source) is allowed on both paths.
/// </summary>
internal static class Aes256Gcm
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>
    /// Tests only: true makes every call take the .NET <see cref="AesGcm"/> path even where
    /// libsodium's is available, so both paths are checked against the same vectors. Both give the
    /// same bytes, so flipping it while other code runs changes speed, never results.
    /// </summary>
    internal static bool ForceManagedImplementation { get; set; }

    /// <summary>True when calls go to libsodium (AES-NI and PCLMUL present and not forced off).</summary>
    public static bool UsesSodium => Sodium.Sodium.IsAes256GcmAvailable && !ForceManagedImplementation;

    /// <summary>ENCRYPT(k, n, ad, plaintext): writes plaintext.Length + 16 bytes. In place is allowed.</summary>
    public static void Encrypt(ReadOnlySpan<byte> key, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        CheckSealLength(plaintext, destination);
        if (!UsesSodium)
        {
            using var aes = new AesGcm(key, TagSize);
            Encrypt(aes, n, ad, plaintext, destination);
            return;
        }

        plaintext = MakeOverlapExact(plaintext, destination);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        Sodium.Sodium.Aes256GcmEncrypt(key, nonce, ad, plaintext, destination[..plaintext.Length], destination[plaintext.Length..]);
    }

    /// <summary>ENCRYPT with a key already set up in <paramref name="aes"/> (the .NET path: one key schedule serves a message and its Rekey()).</summary>
    public static void Encrypt(AesGcm aes, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        CheckSealLength(plaintext, destination);
        plaintext = MakeOverlapExact(plaintext, destination);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination[plaintext.Length..], ad);
    }

    /// <summary>ENCRYPT with a key already expanded in <paramref name="state"/> (the libsodium path: one key setup serves a message and its Rekey()).</summary>
    public static void Encrypt(Aes256GcmState state, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        CheckSealLength(plaintext, destination);
        plaintext = MakeOverlapExact(plaintext, destination);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        Sodium.Sodium.Aes256GcmEncryptWithState(state.Span, nonce, ad, plaintext, destination[..plaintext.Length], destination[plaintext.Length..]);
    }

    /// <summary>DECRYPT(k, n, ad, ciphertext): false when authentication fails, with the destination wiped. In place is allowed.</summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (!UsesSodium)
        {
            using var aes = new AesGcm(key, TagSize);
            return TryDecrypt(aes, n, ad, ciphertext, destination);
        }

        if (ciphertext.Length < TagSize || destination.Length != ciphertext.Length - TagSize)
        {
            return false;
        }

        int bodyLength = ciphertext.Length - TagSize;
        Span<byte> tag = stackalloc byte[TagSize];
        ciphertext[bodyLength..].CopyTo(tag);
        ReadOnlySpan<byte> body = MakeOverlapExact(ciphertext[..bodyLength], destination);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        return Sodium.Sodium.Aes256GcmDecrypt(key, nonce, ad, body, tag, destination);
    }

    /// <summary>DECRYPT with a key already expanded in <paramref name="state"/> (the libsodium path).</summary>
    public static bool TryDecrypt(Aes256GcmState state, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (ciphertext.Length < TagSize || destination.Length != ciphertext.Length - TagSize)
        {
            return false;
        }

        int bodyLength = ciphertext.Length - TagSize;
        Span<byte> tag = stackalloc byte[TagSize];
        ciphertext[bodyLength..].CopyTo(tag);
        ReadOnlySpan<byte> body = MakeOverlapExact(ciphertext[..bodyLength], destination);
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        return Sodium.Sodium.Aes256GcmDecryptWithState(state.Span, nonce, ad, body, tag, destination);
    }

    /// <summary>DECRYPT with a key already set up in <paramref name="aes"/> (the .NET path).</summary>
    public static bool TryDecrypt(AesGcm aes, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (ciphertext.Length < TagSize || destination.Length != ciphertext.Length - TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(n, nonce);
        int bodyLength = ciphertext.Length - TagSize;
        Span<byte> tag = stackalloc byte[TagSize];
        ciphertext[bodyLength..].CopyTo(tag);
        ReadOnlySpan<byte> body = MakeOverlapExact(ciphertext[..bodyLength], destination);
        try
        {
            aes.Decrypt(nonce, body, tag, destination, ad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(destination);
            return false;
        }
    }

    /// <summary>
    /// REKEY(k) of Noise §12.3/§4.2: the first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes).
    /// <paramref name="newKey"/> may be <paramref name="key"/> itself (it is written last).
    /// </summary>
    public static void Rekey(ReadOnlySpan<byte> key, Span<byte> newKey)
    {
        CheckNewKey(newKey);
        if (!UsesSodium)
        {
            using var aes = new AesGcm(key, TagSize);
            Rekey(aes, newKey);
            return;
        }

        Span<byte> block = stackalloc byte[KeySize + TagSize];
        try
        {
            block.Clear();
            Encrypt(key, ulong.MaxValue, [], block[..KeySize], block);
            block[..KeySize].CopyTo(newKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>
    /// REKEY with the current key already expanded in <paramref name="state"/> (the libsodium path).
    /// <paramref name="newKey"/> may be the buffer the state was expanded from: it is written last,
    /// and the state no longer reads it. The caller then wipes the state (its key is replaced).
    /// </summary>
    public static void Rekey(Aes256GcmState state, Span<byte> newKey)
    {
        CheckNewKey(newKey);
        Span<byte> block = stackalloc byte[KeySize + TagSize];
        try
        {
            block.Clear();
            Encrypt(state, ulong.MaxValue, [], block[..KeySize], block);
            block[..KeySize].CopyTo(newKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>REKEY with the current key already set up in <paramref name="aes"/> (the .NET path).</summary>
    public static void Rekey(AesGcm aes, Span<byte> newKey)
    {
        CheckNewKey(newKey);
        Span<byte> block = stackalloc byte[KeySize + TagSize];
        try
        {
            block.Clear();
            Encrypt(aes, ulong.MaxValue, [], block[..KeySize], block);
            block[..KeySize].CopyTo(newKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>
    /// Both implementations accept input and output at the same address but not shifted against
    /// each other (a frame header in front of the data); a shifted overlap is first made exact by
    /// moving the input onto the output (CopyTo is a memmove). Tags are copied out before this.
    /// </summary>
    private static ReadOnlySpan<byte> MakeOverlapExact(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (!input.Overlaps(output, out int offset) || offset == 0)
        {
            return input;
        }

        input.CopyTo(output);
        return output[..input.Length];
    }

    private static void CheckSealLength(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (destination.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException("The destination must hold the ciphertext and the 16-byte tag.", nameof(destination));
        }
    }

    private static void CheckNewKey(Span<byte> newKey)
    {
        if (newKey.Length != KeySize)
        {
            throw new ArgumentException("A rekeyed key is 32 bytes.", nameof(newKey));
        }
    }

    private static void WriteNonce(ulong n, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], n);
    }
}
