using System.Text;

namespace SecureChat.Framing;

/// <summary>
/// Protocol v1's plaintext refusal (docs/PROTOCOL.md, "Talking to a v1 client"): a v1 frame whose
/// body is ASCII "SCERR", a 1-byte code, a UTF-8 reason. v2 sends it only to answer a v1 hello
/// (code 1), and recognises it when a v1 server answers a v2 hello, so that both users are told the
/// other side runs the older version.
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
