namespace SecureChat.Framing;

/// <summary>
/// The first plaintext byte of a transport message (docs/PROTOCOL.md §4). 0x10–0x1F are reserved
/// for file transfer; an authenticated message of an unknown type is ignored.
/// </summary>
internal enum MessageType : byte
{
    Text = 0x01,
    Close = 0x02,
    Ping = 0x03,
    Pong = 0x04,

    /// <summary>File transfer (docs/PROTOCOL.md §4.1): JSON {id, name, size, sha256}.</summary>
    FileOffer = 0x10,

    /// <summary>JSON {id, offset}: send from this offset.</summary>
    FileAccept = 0x11,

    /// <summary>JSON {id, reason}.</summary>
    FileReject = 0x12,

    /// <summary>4-byte big-endian id ‖ file bytes.</summary>
    FileData = 0x13,

    /// <summary>JSON {id}: from the sender, all data is sent; from the receiver, the file arrived and its SHA-256 matched.</summary>
    FileEnd = 0x14,

    /// <summary>JSON {id, reason}: either side stops a transfer.</summary>
    FileCancel = 0x15,
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
