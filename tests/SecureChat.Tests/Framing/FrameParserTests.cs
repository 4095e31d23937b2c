using System.Buffers.Binary;
using SecureChat.Framing;

namespace SecureChat.Tests.Framing;

public class FrameParserTests
{
    private static byte[] Encode(params byte[][] payloads)
    {
        var stream = new List<byte>();
        foreach (byte[] payload in payloads)
        {
            byte[] header = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)payload.Length);
            stream.AddRange(header);
            stream.AddRange(payload);
        }

        return [.. stream];
    }

    /// <summary>Runs the parser the way a reader does, over data that arrives in pieces of <paramref name="step"/> bytes.</summary>
    private static (List<byte[]> Frames, FrameStatus Last) ParseIncrementally(byte[] data, int step)
    {
        var frames = new List<byte[]>();
        int available = 0;
        int start = 0;
        FrameStatus status = FrameStatus.NeedMoreData;
        while (true)
        {
            status = Frame.TryParse(data.AsSpan(start, available - start), out int length);
            if (status == FrameStatus.Complete)
            {
                frames.Add(data.AsSpan(start + 2, length).ToArray());
                start += 2 + length;
                continue;
            }

            if (status == FrameStatus.ZeroLength || available == data.Length)
            {
                return (frames, status);
            }

            available = Math.Min(data.Length, available + step);
        }
    }

    public static TheoryData<int> Steps => [1, 2, 3, 7, 65537, int.MaxValue / 2];

    [Theory]
    [MemberData(nameof(Steps))]
    public void Frames_are_found_whole_and_byte_by_byte(int step)
    {
        byte[] small = [1, 2, 3];
        byte[] largest = new byte[Frame.MaxPayloadLength];
        largest[^1] = 0xEE;
        byte[] data = Encode(small, largest, [9]);
        var (frames, last) = ParseIncrementally(data, step);
        Assert.Equal(FrameStatus.NeedMoreData, last);
        Assert.Equal(3, frames.Count);
        Assert.Equal(small, frames[0]);
        Assert.Equal(largest, frames[1]);
        Assert.Equal([9], frames[2]);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Zero_length_frame_is_a_protocol_error(int step)
    {
        byte[] data = [.. Encode([1]), 0, 0, 5];
        var (frames, last) = ParseIncrementally(data, step);
        Assert.Single(frames);
        Assert.Equal(FrameStatus.ZeroLength, last);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Truncated_frame_never_completes(int step)
    {
        byte[] data = Encode(new byte[100])[..50];
        var (frames, last) = ParseIncrementally(data, step);
        Assert.Empty(frames);
        Assert.Equal(FrameStatus.NeedMoreData, last);
    }

    [Fact]
    public void Header_counts_the_kind_byte_and_rejects_payloads_over_65534()
    {
        byte[] buffer = new byte[3];
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.WriteHeader(buffer, FrameKind.Transport, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.WriteHeader(buffer, FrameKind.Transport, 65535));
        Frame.WriteHeader(buffer, FrameKind.Transport, 65534);
        Assert.Equal([0xFF, 0xFF, 0x03], buffer);
        Frame.WriteHeader(buffer, FrameKind.Refuse, 0);
        Assert.Equal([0x00, 0x01, 0x04], buffer);
    }

    [Fact]
    public void Hello_is_seven_bytes_and_anything_else_is_not_a_hello()
    {
        byte[] hello = Hello.Create(Hello.ModePsk);
        Assert.Equal("534348415402" + "02", Convert.ToHexString(hello));
        Assert.True(Hello.TryParse(hello, out byte version, out byte pattern));
        Assert.Equal((2, 2), (version, pattern));
        Assert.False(Hello.TryParse(hello.AsSpan(0, 6), out _, out _));
        Assert.False(Hello.TryParse([.. hello, 0], out _, out _));
        Assert.False(Hello.TryParse("SCHAX\u0001\u0001"u8, out _, out _));
    }

    [Fact]
    public void Error_frame_round_trips_and_cannot_be_confused_with_msg2()
    {
        byte[] frame = ErrorFrame.Create(4, "busy ✓");
        Assert.True(ErrorFrame.IsErrorFrame(frame));
        Assert.Equal((4, "busy ✓"), ErrorFrame.Parse(frame));
        Assert.False(ErrorFrame.IsErrorFrame([0x04, .. "SCERR"u8]));
        Assert.False(ErrorFrame.IsErrorFrame("SCERR"u8));

        // Invalid UTF-8 from a hostile peer becomes U+FFFD; oversize reasons are cut.
        Assert.Equal("\uFFFD", ErrorFrame.Parse([.. "SCERR"u8, 1, 0xFF]).Reason);
        Assert.Equal(ErrorFrame.MaxReasonBytes, ErrorFrame.Parse([.. "SCERR"u8, 1, .. new byte[5000]]).Reason.Length);
    }
}
