using System.Buffers.Binary;
using SecureChat.Session;

namespace SecureChat.Tests.Framing;

public class FrameReaderTests
{
    /// <summary>A stream that hands out at most <c>chunk</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private static byte[] Frame(int length, byte fill)
    {
        byte[] frame = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)length);
        frame.AsSpan(2).Fill(fill);
        return frame;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100_000)]
    public async Task Reader_returns_each_frame_then_null_at_a_clean_end(int chunk)
    {
        byte[] data = [.. Frame(3, 0xAA), .. Frame(65535, 0xBB), .. Frame(1, 0xCC)];
        using var reader = new FrameReader(new TrickleStream(data, chunk));
        Assert.Equal(new byte[3].Select(_ => (byte)0xAA), (await reader.ReadFrameAsync(default))!.Value.ToArray());
        Memory<byte> big = (await reader.ReadFrameAsync(default))!.Value;
        Assert.Equal(65535, big.Length);
        Assert.True(big.Span.IndexOfAnyExcept((byte)0xBB) < 0);
        Assert.Equal([0xCC], (await reader.ReadFrameAsync(default))!.Value.ToArray());
        Assert.Null(await reader.ReadFrameAsync(default));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public async Task Stream_ending_inside_a_frame_is_a_protocol_error(int chunk)
    {
        byte[] data = Frame(10, 1)[..7];
        using var reader = new FrameReader(new TrickleStream(data, chunk));
        var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => reader.ReadFrameAsync(default).AsTask());
        Assert.Contains("middle of a frame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zero_length_frame_is_a_protocol_error()
    {
        using var reader = new FrameReader(new TrickleStream([0, 0], 1));
        await Assert.ThrowsAsync<ProtocolViolationException>(() => reader.ReadFrameAsync(default).AsTask());
    }
}
