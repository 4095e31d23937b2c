using System.Globalization;
using System.Security.Cryptography;

namespace SecureChat.Identity;

/// <summary>
/// The session code (docs/PROTOCOL.md §7), a short authentication string two people compare by
/// voice: the first 8 bytes of SHA-256("SecureChat/2 SAS" ‖ e_i ‖ e_r ‖ n_i ‖ n_r) as a big-endian
/// integer, mod 10^12, written as 12 decimal digits in three groups of four. e_i, e_r are the two
/// 32-byte ephemeral public keys, n_i and n_r the two 16-byte nonces. The initiator commits to n_i
/// in message 1, before the responder picks n_r, and reveals it in message 3: a man in the middle
/// can no longer choose his last message so that the two screens agree (he could with v1's code,
/// a hash of h).
/// </summary>
public static class SessionCode
{
    private const int NonceLength = 16;
    private const int KeyLength = 32;

    private static ReadOnlySpan<byte> Label => "SecureChat/2 SAS"u8;

    /// <summary>Computes the code from the two ephemeral public keys and the two nonces.</summary>
    public static string Compute(ReadOnlySpan<byte> initiatorEphemeral, ReadOnlySpan<byte> responderEphemeral, ReadOnlySpan<byte> initiatorNonce, ReadOnlySpan<byte> responderNonce)
    {
        if (initiatorEphemeral.Length != KeyLength || responderEphemeral.Length != KeyLength)
        {
            throw new ArgumentException("The ephemeral public keys are 32 bytes each.");
        }

        if (initiatorNonce.Length != NonceLength || responderNonce.Length != NonceLength)
        {
            throw new ArgumentException("The nonces are 16 bytes each.");
        }

        Span<byte> input = stackalloc byte[16 + (2 * KeyLength) + (2 * NonceLength)];
        Label.CopyTo(input);
        initiatorEphemeral.CopyTo(input[16..]);
        responderEphemeral.CopyTo(input[48..]);
        initiatorNonce.CopyTo(input[80..]);
        responderNonce.CopyTo(input[96..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        return Format(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest));
    }

    /// <summary>
    /// v1's rule, kept only so a test can show what it allowed: the first 5 bytes of
    /// SHA-256("SecureChat SAS" ‖ h), mod 10^12. A man in the middle who sends the last message can
    /// grind its payload until this matches on both sides.
    /// </summary>
    internal static string Version1FromHandshakeHash(ReadOnlySpan<byte> handshakeHash)
    {
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

        return Format(v);
    }

    private static string Format(ulong value)
    {
        string digits = (value % 1_000_000_000_000UL).ToString("D12", CultureInfo.InvariantCulture);
        return $"{digits[..4]} {digits[4..8]} {digits[8..]}";
    }
}
