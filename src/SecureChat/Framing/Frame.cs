using System.Buffers.Binary;

namespace SecureChat.Framing;

/// <summary>
/// Framing (docs/PROTOCOL.md §1): every byte on the stream belongs to a frame, a 2-byte big-endian
/// length N with 1 ≤ N ≤ 65535, then N bytes. Pure functions, no I/O.
/// </summary>
internal static class Frame
{
    public const int HeaderSize = 2;
    public const int MaxPayloadLength = 65535;
    public const int MaxFrameSize = HeaderSize + MaxPayloadLength;

    /// <summary>
    /// Looks at buffered bytes. <see cref="FrameStatus.Complete"/> sets <paramref name="payloadLength"/>
    /// (the frame occupies HeaderSize + payloadLength bytes); <see cref="FrameStatus.NeedMoreData"/> asks for
    /// more; <see cref="FrameStatus.ZeroLength"/> is a protocol error.
    /// </summary>
    public static FrameStatus TryParse(ReadOnlySpan<byte> buffered, out int payloadLength)
    {
        payloadLength = 0;
        if (buffered.Length < HeaderSize)
        {
            return FrameStatus.NeedMoreData;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffered);
        if (length == 0)
        {
            return FrameStatus.ZeroLength;
        }

        if (buffered.Length - HeaderSize < length)
        {
            return FrameStatus.NeedMoreData;
        }

        payloadLength = length;
        return FrameStatus.Complete;
    }

    /// <summary>Writes the 2-byte header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)payloadLength);
    }
}

/// <summary>The outcome of <see cref="Frame.TryParse"/>.</summary>
internal enum FrameStatus
{
    NeedMoreData,
    Complete,
    ZeroLength,
}
