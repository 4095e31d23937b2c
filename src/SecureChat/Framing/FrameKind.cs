namespace SecureChat.Framing;

/// <summary>
/// The kind byte of a v2 frame (docs/PROTOCOL.md §1). Which kinds are allowed depends on the state:
/// HELLO only as the initiator's first frame, HANDSHAKE for the three Noise messages, TRANSPORT after
/// the handshake, REFUSE only before the session is ready. Anything else is a protocol error.
/// </summary>
internal enum FrameKind : byte
{
    /// <summary>The initiator's first frame: "SCHAT", version, mode.</summary>
    Hello = 0x01,

    /// <summary>One Noise handshake message.</summary>
    Handshake = 0x02,

    /// <summary>One Noise transport message.</summary>
    Transport = 0x03,

    /// <summary>An unauthenticated refusal: code and reason.</summary>
    Refuse = 0x04,
}

/// <summary>A frame as read from the stream: its kind and its payload (valid until the next read).</summary>
internal readonly record struct ReceivedFrame(FrameKind Kind, Memory<byte> Payload)
{
    /// <summary>Splits a frame body (N bytes: kind ‖ payload). The kind byte is not checked here: the state decides what is allowed.</summary>
    public static ReceivedFrame Of(Memory<byte> body) => new((FrameKind)body.Span[0], body[1..]);
}
