using SecureChat.Framing;
using SecureChat.Noise;
using SecureChat.Session;

namespace SecureChat.Tests.Session;

/// <summary>
/// The write timeout measures progress, not a whole coalesced batch: a batch goes out in slices of
/// at most <see cref="FrameWriter.MaxWriteSlice"/> bytes and each slice has the whole timeout. A
/// peer that reads slowly but steadily keeps the session; a peer that takes nothing more loses it.
/// </summary>
public sealed class WriteProgressTests : IDisposable
{
    /// <summary>Eight FILE_DATA-sized frames in one call, as an outgoing transfer sends them.</summary>
    private const int FramesPerCall = 8;

    private readonly NoiseTransport _send = TestTransports.Create();
    private readonly NoiseTransport _receive = TestTransports.Create();

    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
    }


    /// <summary>Takes each write call after <paramref name="delay"/> per started 64 KiB: slow, but always making progress.</summary>
    private sealed class SteadySlowStream(TimeSpan delay) : WriteOnlyStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Record(buffer);
            for (int done = 0; done < buffer.Length; done += 64 * 1024)
            {
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>Takes the first <paramref name="accepted"/> write calls at once, then never completes one (until cancelled).</summary>
    private sealed class StallingStream(int accepted) : WriteOnlyStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Record(buffer) > accepted)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }

    private abstract class WriteOnlyStream : Stream
    {
        private readonly List<byte[]> _writes = [];

        public byte[][] Writes
        {
            get
            {
                lock (_writes)
                {
                    return [.. _writes];
                }
            }
        }

        /// <summary>Logs one write call; returns how many calls there have been.</summary>
        protected int Record(ReadOnlyMemory<byte> buffer)
        {
            lock (_writes)
            {
                _writes.Add(buffer.ToArray());
                return _writes.Count;
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static FrameWriter Writer(Stream stream, NoiseTransport transport, List<Exception> failures) =>
        new(stream, transport, (error, _) =>
        {
            lock (failures)
            {
                failures.Add(error);
            }

            return new ConnectionLostException("lost", error);
        });

    /// <summary>Seals <see cref="FramesPerCall"/> frames of the largest body in one call and waits until they are written.</summary>
    private static ValueTask<byte[]?> SendBatch(FrameWriter writer, byte fill, TimeSpan limit)
    {
        byte[] body = new byte[TransportLimits.MaxBodyLength];
        Array.Fill(body, fill);
        return writer.SendAsync(
            FramesPerCall * Frame.MaxFrameSize,
            static (transport, buffer, b) =>
            {
                int length = 0;
                for (int i = 0; i < FramesPerCall; i++)
                {
                    length += transport.Seal(MessageType.Text, b, buffer[length..]);
                }

                return length;
            },
            body,
            capture: false,
            limit,
            waitForWrite: true,
            urgent: false,
            CancellationToken.None);
    }

    /// <summary>Opens every frame of the concatenated writes in order, as the peer would; returns each body's first byte.</summary>
    private List<byte> Open(byte[][] writes)
    {
        byte[] wire = [.. writes.SelectMany(w => w)];
        var fills = new List<byte>();
        int offset = 0;
        while (offset < wire.Length)
        {
            Assert.Equal(FrameStatus.Complete, Frame.TryParse(wire.AsSpan(offset), out int length));
            Span<byte> payload = wire.AsSpan(offset + Frame.HeaderSize, length - 1);
            int plain = _receive.Open(payload);
            Assert.True(plain > 0, "a frame failed authentication: the slices are not the batch in order");
            Assert.Equal(1 + TransportLimits.MaxBodyLength, plain);
            fills.Add(payload[1]);
            offset += Frame.LengthSize + length;
        }

        return fills;
    }

    [Fact]
    public async Task A_steady_slow_reader_is_not_declared_stalled_by_a_batch_of_file_frames()
    {
        // 200 ms per 64 KiB (about 320 KB/s) against a 1 s limit (the 45 s idle timeout scaled
        // down): one slice takes a fifth of the limit, one batch of 8 frames nearly twice the limit.
        var stream = new SteadySlowStream(TimeSpan.FromMilliseconds(200));
        var failures = new List<Exception>();
        FrameWriter writer = Writer(stream, _send, failures);

        await SendBatch(writer, 1, TimeSpan.FromSeconds(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await SendBatch(writer, 2, TimeSpan.FromSeconds(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(failures);
        Assert.All(stream.Writes, w => Assert.InRange(w.Length, 1, FrameWriter.MaxWriteSlice));
        Assert.Equal([.. Enumerable.Repeat((byte)1, FramesPerCall), .. Enumerable.Repeat((byte)2, FramesPerCall)], Open(stream.Writes));
        Assert.False(writer.HoldsBuffer);
    }

    [Fact]
    public async Task A_reader_that_takes_nothing_more_fails_the_write_even_after_slices_went_out()
    {
        // Two slices are taken, then nothing: the third slice's timeout ends it.
        var stream = new StallingStream(accepted: 2);
        var failures = new List<Exception>();
        FrameWriter writer = Writer(stream, _send, failures);

        await Assert.ThrowsAsync<IOException>(() => SendBatch(writer, 1, TimeSpan.FromMilliseconds(300)).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));

        Exception failure = Assert.Single(failures);
        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        Assert.Equal(3, stream.Writes.Length);
        Assert.All(stream.Writes, w => Assert.Equal(FrameWriter.MaxWriteSlice, w.Length));

        // Every later sender fails with it, and the writer holds nothing.
        await Assert.ThrowsAsync<IOException>(() => SendBatch(writer, 2, TimeSpan.FromMilliseconds(300)).AsTask());
        Assert.Single(failures);
        Assert.False(writer.HoldsBuffer);
    }

    [Fact]
    public async Task A_batch_the_kernel_takes_at_once_goes_out_whole_in_slices()
    {
        var stream = new StallingStream(accepted: int.MaxValue);
        var failures = new List<Exception>();
        FrameWriter writer = Writer(stream, _send, failures);

        await SendBatch(writer, 7, TimeSpan.FromSeconds(30));

        Assert.Empty(failures);
        int total = stream.Writes.Sum(w => w.Length);
        Assert.Equal((total + FrameWriter.MaxWriteSlice - 1) / FrameWriter.MaxWriteSlice, stream.Writes.Length);
        Assert.Equal(Enumerable.Repeat((byte)7, FramesPerCall), Open(stream.Writes));
    }
}
