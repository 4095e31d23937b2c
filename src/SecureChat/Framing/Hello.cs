namespace SecureChat.Framing;

/// <summary>
/// The hello frame (docs/PROTOCOL.md §2): exactly 7 bytes, ASCII "SCHAT", version 0x01, pattern
/// 0x01 (XX) or 0x02 (XXpsk3). It is also the Noise prologue, so a tampered hello fails the handshake.
/// </summary>
internal static class Hello
{
    public const int Length = 7;
    public const byte Version1 = 0x01;
    public const byte PatternXX = 0x01;
    public const byte PatternXXpsk3 = 0x02;

    private static ReadOnlySpan<byte> Magic => "SCHAT"u8;

    public static byte[] Create(byte pattern) => [.. Magic, Version1, pattern];

    /// <summary>Parses a hello frame's payload. False when it is not a hello at all (wrong length or magic).</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out byte version, out byte pattern)
    {
        version = 0;
        pattern = 0;
        if (payload.Length != Length || !payload[..5].SequenceEqual(Magic))
        {
            return false;
        }

        version = payload[5];
        pattern = payload[6];
        return true;
    }
}
