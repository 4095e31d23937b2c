using System.Buffers.Binary;

namespace SecureChat.Framing;

/// <summary>
/// Framing of protocol v2 (docs/PROTOCOL.md §1): every byte on the stream belongs to a frame, a
/// 2-byte big-endian length N with 1 ≤ N ≤ 65535, then N bytes: a kind byte (<see cref="FrameKind"/>)
/// and N − 1 bytes of payload. Pure functions, no I/O.
/// </summary>
internal static class Frame
{
    /// <summary>The length field.</summary>
    public const int LengthSize = 2;

    /// <summary>Length field and kind byte: the payload starts at this offset.</summary>
    public const int HeaderSize = LengthSize + 1;

    /// <summary>The largest N: kind byte and payload.</summary>
    public const int MaxBodyLength = 65535;

    /// <summary>The largest payload after the kind byte.</summary>
    public const int MaxPayloadLength = MaxBodyLength - 1;

    /// <summary>The most bytes one frame occupies on the stream.</summary>
    public const int MaxFrameSize = LengthSize + MaxBodyLength;

    /// <summary>
    /// Looks at buffered bytes. <see cref="FrameStatus.Complete"/> sets <paramref name="bodyLength"/>
    /// (N: the frame occupies LengthSize + N bytes); <see cref="FrameStatus.NeedMoreData"/> asks for
    /// more; <see cref="FrameStatus.ZeroLength"/> is a protocol error.
    /// </summary>
    public static FrameStatus TryParse(ReadOnlySpan<byte> buffered, out int bodyLength)
    {
        bodyLength = 0;
        if (buffered.Length < LengthSize)
        {
            return FrameStatus.NeedMoreData;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffered);
        if (length == 0)
        {
            return FrameStatus.ZeroLength;
        }

        if (buffered.Length - LengthSize < length)
        {
            return FrameStatus.NeedMoreData;
        }

        bodyLength = length;
        return FrameStatus.Complete;
    }

    /// <summary>Writes the length (payload + 1) and the kind byte in front of a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, FrameKind kind, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(payloadLength + 1));
        destination[LengthSize] = (byte)kind;
    }

    /// <summary>A whole frame as a new array (handshake and refusal frames; never transport data).</summary>
    public static byte[] Create(FrameKind kind, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, kind, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }
}

/// <summary>What <see cref="Frame.TryParse"/> found.</summary>
internal enum FrameStatus
{
    /// <summary>The buffered bytes do not yet hold a whole frame.</summary>
    NeedMoreData,

    /// <summary>A whole frame is buffered.</summary>
    Complete,

    /// <summary>The length field is zero: a protocol error.</summary>
    ZeroLength,
}
