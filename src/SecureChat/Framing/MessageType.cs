namespace SecureChat.Framing;

/// <summary>
/// The first plaintext byte of a transport message (docs/PROTOCOL.md §4): the types the session
/// handles itself. A feature defines its own types in its folder and registers their range
/// (Session/IMessageHandler.cs): file transfer owns 0x10–0x1F (Transfer/FileMessageType.cs).
/// An authenticated message of a type nobody handles is ignored.
/// </summary>
internal enum MessageType : byte
{
    Text = 0x01,
    Close = 0x02,
    Ping = 0x03,
    Pong = 0x04,

    /// <summary>The responder's first transport message, empty: it has accepted the initiator (docs/PROTOCOL.md §6).</summary>
    Ready = 0x05,
}

/// <summary>Sizes of transport messages.</summary>
internal static class TransportLimits
{
    /// <summary>AES-GCM tag.</summary>
    public const int TagSize = 16;

    /// <summary>The largest body: 65535 − 16 (tag) − 1 (type) = 65518 bytes.</summary>
    public const int MaxBodyLength = Frame.MaxPayloadLength - TagSize - 1;

    /// <summary>PING and PONG carry exactly 8 bytes.</summary>
    public const int PingLength = 8;
}
