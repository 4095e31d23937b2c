namespace SecureChat.Framing;

/// <summary>
/// The HELLO payload (docs/PROTOCOL.md §2): ASCII "SCHAT", the version (0x02) and the mode (0x01 XX
/// with identities, 0x02 PSK with a passphrase or code). These 7 bytes are also the Noise prologue.
/// A v1 client's first frame has no kind byte: its body is "SCHAT" 0x01 pattern.
/// </summary>
internal static class Hello
{
    public const int Length = 7;
    public const byte Version2 = 0x02;
    public const byte ModeXX = 0x01;
    public const byte ModePsk = 0x02;

    private static ReadOnlySpan<byte> Magic => "SCHAT"u8;

    public static byte[] Create(byte mode) => [.. Magic, Version2, mode];

    /// <summary>Parses a HELLO payload; false when it is not 7 bytes starting with "SCHAT".</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out byte version, out byte mode)
    {
        version = 0;
        mode = 0;
        if (payload.Length != Length || !payload[..5].SequenceEqual(Magic))
        {
            return false;
        }

        version = payload[5];
        mode = payload[6];
        return true;
    }

    /// <summary>True for a v1 client's hello: a frame body (no kind byte) that starts "SCHAT" 0x01.</summary>
    public static bool IsVersion1(ReadOnlySpan<byte> frameBody) =>
        frameBody.Length >= 6 && frameBody[..5].SequenceEqual(Magic) && frameBody[5] == 0x01;
}
