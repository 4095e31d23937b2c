using System.Text;

namespace SecureChat.Framing;

/// <summary>
/// The plaintext refusal frame (docs/PROTOCOL.md §2): ASCII "SCERR", a 1-byte code, a UTF-8 reason.
/// It can only appear where a handshake message or the first transport frame is expected; a Noise
/// message 2 starts with 0x04 (an uncompressed point), so the two cannot be confused.
/// </summary>
internal static class ErrorFrame
{
    /// <summary>The longest reason we send or keep.</summary>
    public const int MaxReasonBytes = 512;

    private static ReadOnlySpan<byte> Magic => "SCERR"u8;

    public static bool IsErrorFrame(ReadOnlySpan<byte> payload) =>
        payload.Length >= Magic.Length + 1 && payload[..Magic.Length].SequenceEqual(Magic);

    public static byte[] Create(byte code, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        int length = Math.Min(text.Length, MaxReasonBytes);
        return [.. Magic, code, .. text.AsSpan(0, length)];
    }

    /// <summary>Parses a frame that <see cref="IsErrorFrame"/> accepted. Invalid UTF-8 becomes U+FFFD.</summary>
    public static (byte Code, string Reason) Parse(ReadOnlySpan<byte> payload)
    {
        if (!IsErrorFrame(payload))
        {
            throw new ArgumentException("Not an SCERR frame.", nameof(payload));
        }

        byte code = payload[Magic.Length];
        ReadOnlySpan<byte> reason = payload[(Magic.Length + 1)..];
        if (reason.Length > MaxReasonBytes)
        {
            reason = reason[..MaxReasonBytes];
        }

        return (code, Encoding.UTF8.GetString(reason));
    }
}
