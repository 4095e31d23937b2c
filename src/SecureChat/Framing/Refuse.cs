using System.Text;

namespace SecureChat.Framing;

/// <summary>
/// The REFUSE payload (docs/PROTOCOL.md §5): a code byte and a UTF-8 reason of at most 200 bytes.
/// It is unauthenticated: the code is only ever shown as what the peer *says*, and the reason only
/// after sanitising. Pure functions.
/// </summary>
internal static class Refuse
{
    public const int MaxReasonBytes = 200;

    /// <summary>The REFUSE payload for <paramref name="code"/>; the reason is cut to 200 bytes on a character boundary.</summary>
    public static byte[] Create(byte code, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        int length = Math.Min(text.Length, MaxReasonBytes);
        while (length > 0 && length < text.Length && (text[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return [code, .. text.AsSpan(0, length)];
    }

    /// <summary>Parses a REFUSE payload. Invalid UTF-8 is replaced, a longer reason is a protocol error.</summary>
    /// <exception cref="ProtocolViolationException">The payload is empty or the reason is longer than 200 bytes.</exception>
    public static (byte Code, string Reason) Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Length - 1 > MaxReasonBytes)
        {
            throw new ProtocolViolationException($"The peer sent a REFUSE frame of {payload.Length} bytes (1 code byte and at most {MaxReasonBytes} bytes of reason are allowed).");
        }

        return (payload[0], Encoding.UTF8.GetString(payload[1..]));
    }
}
