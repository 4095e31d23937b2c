using System.Text;
using SecureChat.Framing;
using SecureChat.Noise;
using SecureChat.Session;

namespace SecureChat.Tests.Session;

/// <summary>
/// The coalescing writer: frames queued while a write is in flight go out in one write, each sealed
/// on its own and in nonce order; backpressure, failure and cancellation behave as documented.
/// </summary>
public sealed class FrameWriterTests : IDisposable
{
    private readonly NoiseTransport _send;
    private readonly NoiseTransport _receive;

    public FrameWriterTests()
    {
        _send = TestTransports.Create();
        _receive = TestTransports.Create();
    }

    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
    }

    /// <summary>A stream whose writes are logged, and held (pending) while the gate is closed.</summary>
    private sealed class GatedStream : Stream
    {
        private TaskCompletionSource? _gate;

        public List<byte[]> Writes { get; } = [];

        /// <summary>Every write call's bytes in order: what the peer reads (a large batch goes out in slices).</summary>
        public byte[] Wire => [.. Writes.SelectMany(w => w)];

        public void Close(out TaskCompletionSource gate) => _gate = gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (Writes)
            {
                Writes.Add(buffer.ToArray());
            }

            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
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

    /// <summary>Sends one text frame; bulk (like file data) unless <paramref name="urgent"/>, so that it respects the regular room only.</summary>
    private static ValueTask<byte[]?> SendText(FrameWriter writer, string text, bool waitForWrite = false, bool urgent = false, CancellationToken cancellationToken = default)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);
        return writer.SendAsync(
            Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize,
            static (transport, buffer, b) => transport.Seal(MessageType.Text, b, buffer),
            body,
            capture: false,
            TimeSpan.FromSeconds(30),
            waitForWrite,
            urgent,
            cancellationToken);
    }

    /// <summary>Decrypts every frame of <paramref name="wire"/> in order, as the peer would.</summary>
    private List<string> Decode(byte[] wire)
    {
        var texts = new List<string>();
        int offset = 0;
        while (offset < wire.Length)
        {
            Assert.Equal(FrameStatus.Complete, Frame.TryParse(wire.AsSpan(offset), out int length));
            Span<byte> payload = wire.AsSpan(offset + Frame.HeaderSize, length - 1);
            Assert.Equal((byte)FrameKind.Transport, wire[offset + Frame.LengthSize]);
            int plain = _receive.Open(payload);
            Assert.True(plain > 0, "a frame failed authentication: not sealed in wire order");
            Assert.Equal((byte)MessageType.Text, payload[0]);
            texts.Add(Encoding.UTF8.GetString(payload[1..plain]));
            offset += Frame.LengthSize + length;
        }

        return texts;
    }

    private static FrameWriter Writer(Stream stream, NoiseTransport transport, List<Exception>? failures = null) =>
        new(stream, transport, (error, _) =>
        {
            failures?.Add(error);
            return new ConnectionLostException("lost", error);
        });

    [Fact]
    public async Task Frames_queued_behind_a_write_in_flight_go_out_in_one_write_in_nonce_order()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);
        stream.Close(out TaskCompletionSource gate);

        // The first frame is written at once (nothing in flight) and its write is held.
        Task first = SendText(writer, "first").AsTask();
        Assert.False(first.IsCompleted);

        // Everything sent meanwhile only queues (the callers return), from several senders.
        string[] queued = [.. Enumerable.Range(0, 50).Select(i => $"queued {i}")];
        await Task.WhenAll(queued.Select(text => Task.Run(async () => await SendText(writer, text))));
        Assert.Single(stream.Writes);

        gate.SetResult();
        await first;
        await SendText(writer, "last", waitForWrite: true);

        List<List<string>> writes = [.. stream.Writes.Select(Decode)];
        List<string> wire = [.. writes.SelectMany(texts => texts)];
        Assert.Equal(["first"], writes[0]);
        Assert.Equal(queued.Order(), wire.Skip(1).Take(50).Order());
        Assert.Equal("last", wire[^1]);
        Assert.Equal(52, wire.Count);

        // The 50 queued frames went out in ONE write (with "last" too, if it queued behind them).
        Assert.InRange(writes.Count, 2, 3);
        Assert.Equal(writes.Count == 3 ? 50 : 51, writes[1].Count);
        Assert.False(writer.HoldsBuffer);
    }

    /// <summary>The largest text: a frame of <see cref="BigFrame"/> bytes.</summary>
    private static readonly string Big = new('b', TransportLimits.MaxBodyLength);

    private static readonly int BigFrame = Frame.HeaderSize + 1 + Big.Length + TransportLimits.TagSize;

    /// <summary>
    /// A writer whose first frame ("first") is held in its write, with bulk frames queued behind it
    /// up to the regular room (<see cref="FrameWriter.MaxPendingBytes"/>): the next bulk sender must wait.
    /// </summary>
    private async Task<(FrameWriter Writer, GatedStream Stream, TaskCompletionSource Gate, Task First, int Fitting)> FullWriterAsync()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);
        stream.Close(out TaskCompletionSource gate);
        Task first = SendText(writer, "first").AsTask();
        int fitting = FrameWriter.MaxPendingBytes / BigFrame;
        for (int i = 0; i < fitting; i++)
        {
            await SendText(writer, Big);
        }

        return (writer, stream, gate, first, fitting);
    }

    [Fact]
    public async Task A_sender_that_does_not_fit_behind_the_write_in_flight_waits_for_room()
    {
        var (writer, stream, gate, first, fitting) = await FullWriterAsync();
        Task blocked = SendText(writer, Big).AsTask();
        Assert.False(blocked.IsCompleted);
        ulong sealedBefore = SendNonce();

        gate.SetResult();
        await first;
        await blocked;
        await SendText(writer, "end", waitForWrite: true);
        Assert.Equal(sealedBefore + 2, SendNonce());
        Assert.Equal(fitting + 3, Decode(stream.Wire).Count);
    }

    [Fact]
    public async Task An_urgent_frame_queues_in_the_reserve_behind_bulk_that_took_the_room_and_waits_only_past_it()
    {
        // Bulk (file data) takes the regular room, and the next bulk sender waits for it.
        var (writer, stream, gate, first, fitting) = await FullWriterAsync();
        Task bulkWaiting = SendText(writer, Big).AsTask();
        Assert.False(bulkWaiting.IsCompleted);

        // An urgent frame (an answer to an offer, a text) still queues: its caller returns while
        // the write in flight is held, so it never waits for a peer that may be waiting for it.
        ValueTask<byte[]?> accept = SendText(writer, "accept", urgent: true);
        Assert.True(accept.IsCompleted, "an urgent frame waited behind bulk data");
        await accept;

        // The reserve is bounded too: urgent frames past it wait like any other.
        int reserveFrames = (FrameWriter.UrgentReserveBytes - (Frame.HeaderSize + 1 + "accept".Length + TransportLimits.TagSize)) / BigFrame;
        for (int i = 0; i < reserveFrames; i++)
        {
            ValueTask<byte[]?> urgent = SendText(writer, Big, urgent: true);
            Assert.True(urgent.IsCompleted, $"urgent frame {i} did not fit the reserve");
            await urgent;
        }

        Task urgentWaiting = SendText(writer, Big, urgent: true).AsTask();
        Assert.False(urgentWaiting.IsCompleted);
        Assert.False(bulkWaiting.IsCompleted);

        gate.SetResult();
        await first;
        await bulkWaiting;
        await urgentWaiting;
        await SendText(writer, "end", waitForWrite: true);
        List<string> wire = Decode(stream.Wire);
        Assert.Equal(1 + fitting + 1 + reserveFrames + 2 + 1, wire.Count);
        Assert.Equal("accept", wire[1 + fitting]);
        Assert.Equal("end", wire[^1]);
        Assert.False(writer.HoldsBuffer);
    }

    [Fact]
    public async Task A_sender_that_seals_nothing_takes_nothing_from_the_reserve()
    {
        var (writer, stream, gate, first, fitting) = await FullWriterAsync();
        for (int i = 0; i < 4096; i++)
        {
            // An urgent sender that decides, under the turn, to send nothing (its event found no room).
            ValueTask<byte[]?> nothing = writer.SendAsync(64, static (_, _, _) => -1, 0, capture: false, TimeSpan.FromSeconds(30), waitForWrite: false, urgent: true, CancellationToken.None);
            Assert.True(nothing.IsCompleted);
            Assert.Null(await nothing);
        }

        ValueTask<byte[]?> accept = SendText(writer, "accept", urgent: true);
        Assert.True(accept.IsCompleted, "the reserve was used up by senders that sealed nothing");
        await accept;

        gate.SetResult();
        await first;
        await SendText(writer, "end", waitForWrite: true);
        List<string> wire = Decode(stream.Wire);
        Assert.Equal(1 + fitting + 2, wire.Count);
        Assert.Equal("accept", wire[^2]);
    }

    [Fact]
    public async Task An_urgent_frame_that_finds_the_writer_idle_does_not_wait_for_a_socket_that_cannot_take_it()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);

        // The socket's buffer is full (of our own earlier file data, say): the next write is held.
        stream.Close(out TaskCompletionSource gate);
        ValueTask<byte[]?> accept = SendText(writer, "accept", urgent: true);
        Assert.True(accept.IsCompleted, "an urgent frame that was only queued waited for the socket");
        await accept;
        Assert.Single(stream.Writes); // its write has started, on its own

        // A bulk sender that finds the writer idle waits for its write (backpressure).
        gate.SetResult();
        await SendText(writer, "flushed", waitForWrite: true);
        while (writer.HoldsBuffer)
        {
            await Task.Delay(1); // the flush has ended once the idle writer gave its buffers back
        }

        stream.Close(out TaskCompletionSource second);
        await Task.Delay(1); // past the burst window: the next sender writes itself
        Task bulk = SendText(writer, Big).AsTask();
        Assert.False(bulk.IsCompleted);
        second.SetResult();
        await bulk;
        Assert.Equal(["accept", "flushed", Big], Decode(stream.Wire));
        Assert.False(writer.HoldsBuffer);
    }

    [Fact]
    public async Task A_sender_cancelled_while_waiting_for_room_seals_nothing()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);
        stream.Close(out TaskCompletionSource gate);
        Task first = SendText(writer, "first").AsTask();
        await SendText(writer, Big);
        using var cancel = new CancellationTokenSource();
        Task blocked = SendText(writer, Big, cancellationToken: cancel.Token).AsTask();
        ulong nonce = SendNonce();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        Assert.Equal(nonce, SendNonce());

        gate.SetResult();
        await first;
        await SendText(writer, "after", waitForWrite: true);
        Assert.Equal(["first", Big, "after"], Decode(stream.Wire));
    }

    [Fact]
    public async Task A_failed_write_fails_every_waiting_sender_and_is_reported_once()
    {
        var stream = new GatedStream();
        var failures = new List<Exception>();
        FrameWriter writer = Writer(stream, _send, failures);
        stream.Close(out TaskCompletionSource gate);
        Task first = SendText(writer, "first").AsTask();
        Task waiting = SendText(writer, "second", waitForWrite: true).AsTask();
        await SendText(writer, Big);
        Task noRoom = SendText(writer, Big).AsTask();

        gate.SetException(new IOException("broken pipe"));
        await Assert.ThrowsAsync<IOException>(() => first);
        await Assert.ThrowsAsync<IOException>(() => waiting);
        await Assert.ThrowsAsync<IOException>(() => noRoom);
        await Assert.ThrowsAsync<IOException>(() => SendText(writer, "later").AsTask());
        Assert.Single(failures);
        Assert.False(writer.HoldsBuffer);
    }

    [Fact]
    public async Task Closing_drops_what_is_pending_and_refuses_later_senders()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);
        await SendText(writer, "sent", waitForWrite: true);
        await writer.CloseAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => SendText(writer, "too late").AsTask());
        Assert.False(writer.HoldsBuffer);
        Assert.Equal(["sent"], Decode(stream.Wire));
    }

    [Fact]
    public async Task The_last_frame_makes_the_writer_final_and_nothing_is_sealed_after_it()
    {
        var stream = new GatedStream();
        FrameWriter writer = Writer(stream, _send);
        stream.Close(out TaskCompletionSource gate);
        Task first = SendText(writer, "first").AsTask();
        await SendText(writer, "queued");

        // The CLOSE queues behind the write in flight; from its seal on, every send is refused.
        Task last = writer.SendFinalAsync(
            Frame.HeaderSize + 1 + TransportLimits.TagSize,
            static (transport, buffer, _) => transport.Seal(MessageType.Close, [], buffer),
            0,
            TimeSpan.FromSeconds(30),
            CancellationToken.None).AsTask();
        Assert.True(writer.IsFinal);
        ulong nonce = SendNonce();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => SendText(writer, "after close").AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => SendText(writer, "after close", waitForWrite: true).AsTask());
        Assert.Equal(nonce, SendNonce());
        Assert.False(last.IsCompleted);

        gate.SetResult();
        await first;
        await last;
        byte[] wire = stream.Wire;
        int closeAt = wire.Length - (Frame.HeaderSize + 1 + TransportLimits.TagSize);
        Assert.Equal(["first", "queued"], Decode(wire[..closeAt]));
        Span<byte> close = wire.AsSpan(closeAt + Frame.HeaderSize);
        Assert.Equal(1, _receive.Open(close));
        Assert.Equal((byte)MessageType.Close, close[0]);
        Assert.False(writer.HoldsBuffer);
    }

    /// <summary>How many frames have been sealed so far (each takes one nonce).</summary>
    private ulong SendNonce() => _send.SendNonceForTests;
}
