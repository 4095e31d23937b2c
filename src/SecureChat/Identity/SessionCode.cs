using System.Globalization;
using System.Security.Cryptography;

namespace SecureChat.Identity;

/// <summary>
/// The session code (docs/PROTOCOL.md §5), a short authentication string two people compare by
/// voice: v = the first 5 bytes of SHA-256("SecureChat SAS" ‖ h) as a big-endian integer, mod 10^12,
/// written as 12 decimal digits in three groups of four. A man in the middle runs two handshakes
/// with different h, so the two sides see different codes.
/// </summary>
public static class SessionCode
{
    /// <summary>Computes the code from the final handshake hash h (32 bytes).</summary>
    public static string FromHandshakeHash(ReadOnlySpan<byte> handshakeHash)
    {
        if (handshakeHash.Length != 32)
        {
            throw new ArgumentException("The handshake hash is 32 bytes.", nameof(handshakeHash));
        }

        Span<byte> input = stackalloc byte[14 + 32];
        "SecureChat SAS"u8.CopyTo(input);
        handshakeHash.CopyTo(input[14..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);

        ulong v = 0;
        for (int i = 0; i < 5; i++)
        {
            v = (v << 8) | digest[i];
        }

        string digits = (v % 1_000_000_000_000UL).ToString("D12", CultureInfo.InvariantCulture);
        return $"{digits[..4]} {digits[4..8]} {digits[8..]}";
    }
}
