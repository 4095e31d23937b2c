using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;

namespace SecureChat.Identity;

/// <summary>
/// A passphrase or code for the PSK mode, owned as pinned UTF-8 bytes after Unicode NFC normalisation
/// (so that "é" typed as one code point or as e + U+0301 gives the same key): CPace's PRS
/// (docs/PROTOCOL.md §4). Never a string.
/// </summary>
public sealed class Passphrase : IDisposable
{
    /// <summary>The longest passphrase accepted, in UTF-8 bytes after normalisation.</summary>
    public const int MaxBytes = 1024;

    private readonly SecretBuffer _utf8;
    private readonly int _length;

    private Passphrase(SecretBuffer utf8, int length)
    {
        _utf8 = utf8;
        _length = length;
    }

    internal ReadOnlySpan<byte> Utf8 => _utf8.Span[.._length];

    /// <summary>
    /// Lends the passphrase's UTF-8 bytes to <paramref name="use"/> for the length of the call, for a
    /// key derivation of the caller's own (the bytes stay pinned here; keep no copy of them).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The passphrase was wiped.</exception>
    public void UseUtf8<TState>(TState state, ReadOnlySpanAction<byte, TState> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        use(Utf8, state);
    }

    /// <summary>From characters (typed at a terminal). The caller keeps and wipes its own buffer.</summary>
    /// <exception cref="ArgumentException">Empty, or longer than <see cref="MaxBytes"/>.</exception>
    public static Passphrase FromChars(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty)
        {
            throw new ArgumentException("The passphrase is empty.", nameof(chars));
        }

        if (chars.Length > MaxBytes)
        {
            throw new ArgumentException($"The passphrase is longer than {MaxBytes} bytes.", nameof(chars));
        }

        int normalizedLength = chars.GetNormalizedLength(NormalizationForm.FormC);
        char[] normalized = GC.AllocateArray<char>(normalizedLength, pinned: true);
        try
        {
            if (!chars.TryNormalize(normalized, out int written, NormalizationForm.FormC))
            {
                throw new ArgumentException("The passphrase is not valid Unicode.", nameof(chars));
            }

            int byteCount = Encoding.UTF8.GetByteCount(normalized.AsSpan(0, written));
            if (byteCount > MaxBytes)
            {
                throw new ArgumentException($"The passphrase is longer than {MaxBytes} bytes.", nameof(chars));
            }

            var utf8 = new SecretBuffer(byteCount);
            Encoding.UTF8.GetBytes(normalized.AsSpan(0, written), utf8.Span);
            return new Passphrase(utf8, byteCount);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(normalized.AsSpan()));
        }
    }

    /// <summary>From UTF-8 bytes (a passphrase file or environment variable). A final line break is not part of it.</summary>
    /// <exception cref="ArgumentException">Empty, not UTF-8, or too long.</exception>
    public static Passphrase FromUtf8(ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty && (utf8[^1] == (byte)'\n' || utf8[^1] == (byte)'\r'))
        {
            utf8 = utf8[..^1];
        }

        if (utf8.Length > 4 * MaxBytes)
        {
            throw new ArgumentException($"The passphrase is longer than {MaxBytes} bytes.", nameof(utf8));
        }

        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        char[] chars = GC.AllocateArray<char>(Math.Max(1, utf8.Length), pinned: true);
        try
        {
            int count;
            try
            {
                count = strict.GetChars(utf8, chars);
            }
            catch (DecoderFallbackException)
            {
                throw new ArgumentException("The passphrase is not valid UTF-8.", nameof(utf8));
            }

            return FromChars(chars.AsSpan(0, count));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan()));
        }
    }

    /// <summary>
    /// Exactly these bytes: no normalisation, no line break removed, empty allowed. Only for
    /// --compat seed-aes, whose key is SHA-256 of the passphrase's bytes as the original program
    /// read them (Python's input().encode()), so that a passphrase the original accepts works here too.
    /// </summary>
    /// <exception cref="ArgumentException">Longer than 4096 bytes.</exception>
    public static Passphrase FromUtf8Verbatim(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 4 * MaxBytes)
        {
            throw new ArgumentException($"The passphrase is longer than {4 * MaxBytes} bytes.", nameof(utf8));
        }

        var buffer = new SecretBuffer(Math.Max(1, utf8.Length));
        utf8.CopyTo(buffer.Span);
        return new Passphrase(buffer, utf8.Length);
    }

    /// <summary>
    /// From an environment variable, without ever holding it in a string where the platform allows
    /// (on Linux the bytes are read from /proc/self/environ: the environment the process started
    /// with, so a change made with Environment.SetEnvironmentVariable is not seen). As
    /// <see cref="FromUtf8"/>, or <see cref="FromUtf8Verbatim"/> when <paramref name="verbatim"/>.
    /// </summary>
    /// <param name="variable">The variable's name.</param>
    /// <param name="verbatim">Keep the bytes exactly (--compat seed-aes).</param>
    /// <returns>The passphrase, or null when the variable is unset or empty.</returns>
    /// <exception cref="ArgumentException">The value is not UTF-8, or too long, or empty after its line break.</exception>
    public static Passphrase? FromEnvironment(string variable, bool verbatim = false) =>
        verbatim
            ? EnvironmentBytes.Read(variable, static value => FromUtf8Verbatim(value))
            : EnvironmentBytes.Read(variable, static value => FromUtf8(value));

    /// <summary>
    /// True when both passphrases are the same bytes. Compared in constant time for equal lengths
    /// (the length itself is not hidden).
    /// </summary>
    public bool HasSameBytesAs(Passphrase other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return CryptographicOperations.FixedTimeEquals(Utf8, other.Utf8);
    }

    /// <summary>Wipes the passphrase.</summary>
    public void Dispose() => _utf8.Dispose();
}
