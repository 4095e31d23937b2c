using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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

    /// <summary>Hands out the first <c>split</c> bytes in one read and the rest in the next; records the largest buffer offered.</summary>
    private sealed class SplitStream(byte[] data, int split) : MemoryStream(data)
    {
        public int LargestOffer { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            LargestOffer = Math.Max(LargestOffer, buffer.Length);
            int limit = Position < split ? split - (int)Position : buffer.Length;
            return base.ReadAsync(buffer[..Math.Min(buffer.Length, limit)], cancellationToken);
        }
    }

    [Fact]
    public async Task Many_frames_that_arrive_together_are_handed_out_from_one_read()
    {
        byte[] data = [.. Enumerable.Range(0, 100).SelectMany(i => Frame(120, (byte)i))];
        using var reader = new FrameReader(new TrickleStream(data, data.Length));
        for (int i = 0; i < 100; i++)
        {
            Memory<byte> frame = (await reader.ReadFrameAsync(default))!.Value;
            Assert.Equal(120, frame.Length);
            Assert.True(frame.Span.IndexOfAnyExcept((byte)i) < 0);
        }

        Assert.Equal(1, reader.Reads);
        Assert.Null(await reader.ReadFrameAsync(default));
        Assert.False(reader.HoldsBuffer);
    }

    [Fact]
    public async Task Frames_split_across_two_reads_at_every_byte_boundary_are_reassembled()
    {
        byte[][] frames = [Frame(1, 0x11), Frame(300, 0x22), Frame(17, 0x33), Frame(FrameReader.SmallSize + 10, 0x44), Frame(5, 0x55)];
        byte[] data = [.. frames.SelectMany(f => f)];
        for (int split = 1; split < data.Length; split += split < 400 || data.Length - split < 400 ? 1 : 97)
        {
            using var reader = new FrameReader(new SplitStream(data, split));
            foreach (byte[] expected in frames)
            {
                Memory<byte>? frame = await reader.ReadFrameAsync(default);
                Assert.True(frame is not null, $"split at {split}");
                Assert.True(frame!.Value.Span.SequenceEqual(expected.AsSpan(2)), $"split at {split}");
            }

            Assert.Null(await reader.ReadFrameAsync(default));
        }
    }

    [Fact]
    public async Task The_length_is_checked_before_a_buffer_is_sized_for_it()
    {
        // The largest length a peer can announce, then the stream ends: no buffer beyond four
        // of the largest frames is ever offered, and the truncated frame is an error.
        var stream = new SplitStream([0xFF, 0xFF, 1, 2, 3], 5);
        using var reader = new FrameReader(stream);
        await Assert.ThrowsAsync<ProtocolViolationException>(() => reader.ReadFrameAsync(default).AsTask());
        Assert.Equal(65537, SecureChat.Framing.Frame.MaxFrameSize);
        Assert.InRange(stream.LargestOffer, 1, 2 * FrameReader.LargeSize); // the pool rounds up to a power of two
    }

    [Fact]
    public async Task An_idle_reader_holds_no_buffer_and_rents_one_when_data_arrives()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using Socket accepted = await listener.AcceptSocketAsync();
        await using var stream = new NetworkStream(accepted, ownsSocket: false);
        using var reader = new FrameReader(stream);

        // Nothing sent yet: the reader waits without a buffer.
        ValueTask<Memory<byte>?> first = reader.ReadFrameAsync(default);
        Assert.False(first.IsCompleted);
        Assert.False(reader.HoldsBuffer);

        await client.GetStream().WriteAsync(Frame(40, 7));
        Memory<byte> frame = (await first.AsTask().WaitAsync(TimeSpan.FromSeconds(20)))!.Value;
        Assert.Equal(40, frame.Length);

        // Drained again: the next wait gives the buffer back before it blocks.
        ValueTask<Memory<byte>?> second = reader.ReadFrameAsync(default);
        Assert.False(second.IsCompleted);
        Assert.False(reader.HoldsBuffer);
        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Null(await second.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
    }
}
