using System.Buffers.Binary;

namespace SecureChat.Cli.Bench;

/// <summary>
/// The v2 stream framing (docs/PROTOCOL.md §1 and §4), rebuilt here for the benchmark's baselines:
/// the same bytes on the wire as the session's transport frames, without any cryptography. The
/// library keeps these constants internal (SecureChat.Framing.Frame, TransportLimits,
/// Transfer.FileMessageType, OutgoingTransfer), so they are restated here; only
/// <see cref="SecureChat.Session.SecureChatSession.MaxTextBytes"/> is public.
/// </summary>
internal static class RawFrames
{
    /// <summary>2-byte big-endian length N (kind ‖ payload), then the kind byte.</summary>
    public const int HeaderSize = 3;

    /// <summary>The kind byte of a transport frame (FrameKind.Transport).</summary>
    public const byte KindTransport = 0x03;

    /// <summary>The plaintext's type byte of a text (MessageType.Text) and of file data (FileMessageType.Data).</summary>
    public const byte TypeText = 0x01;

    /// <inheritdoc cref="TypeText"/>
    public const byte TypeFileData = 0x13;

    /// <summary>The AES-GCM tag each transport frame carries (the baseline sends as many zero bytes).</summary>
    public const int TagSize = 16;

    /// <summary>The largest frame on the stream: 2 + 65,535 bytes.</summary>
    public const int MaxFrameSize = 2 + 65535;

    /// <summary>FILE_DATA's 4-byte transfer id in front of the file bytes.</summary>
    public const int FileIdSize = 4;

    /// <summary>File bytes per FILE_DATA frame: the largest message body less the id (OutgoingTransfer.ChunkSize).</summary>
    public const int FileChunkSize = SecureChat.Session.SecureChatSession.MaxTextBytes - FileIdSize;

    /// <summary>FILE_DATA frames sealed and written with one call by the session's sender (OutgoingTransfer.FramesPerWrite).</summary>
    public const int FramesPerWrite = 4;

    /// <summary>What a message of <paramref name="bodyLength"/> bytes occupies on the stream: header, type byte, body, tag.</summary>
    public static int FrameSize(int bodyLength) => HeaderSize + 1 + bodyLength + TagSize;

    /// <summary>Writes the header and type byte of a frame whose body is <paramref name="bodyLength"/> bytes; the body follows at offset 4.</summary>
    public static void WriteHeader(Span<byte> frame, byte type, int bodyLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)(FrameSize(bodyLength) - 2));
        frame[2] = KindTransport;
        frame[3] = type;
    }
}
