using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;

namespace SecureChat.Session;

/// <summary>
/// The send side of a session: seals frames in turn into one pending buffer (so nonce order is
/// wire order) and writes everything that queued while a write was in flight with ONE call.
/// <list type="bullet">
/// <item>A frame sent after a pause goes out at once, from the sender's own call (lowest latency).</item>
/// <item>A frame that finds a write in flight, or that follows the previous one by less than
/// <see cref="BurstWindowMicroseconds"/>, only queues: one flush on the thread pool writes all that
/// is pending per call, until nothing is left. The caller returns once its frame is sealed and
/// queued, as it would once a socket's send buffer took it.</item>
/// <item>At most <see cref="MaxPendingBytes"/> (or one call's frames, if larger) wait behind the
/// write in flight; a sender that does not fit waits for the flush to take them (backpressure).</item>
/// <item>An urgent frame (a text or a control message, as opposed to file data) that does not fit
/// may still queue in a reserve of <see cref="UrgentReserveBytes"/> on top. Without it, an
/// application that answers an offer from its event loop while file data fills the queue would
/// wait for the peer to read, while the peer, doing the same, waits for it: neither reads again.
/// Bulk frames never use the reserve, so it is there whenever data is what fills the queue. Nor
/// does an urgent frame that is only queued wait for the socket when it finds the writer idle.</item>
/// <item>A batch is written in slices of at most <see cref="MaxWriteSlice"/> bytes, and the write
/// timeout (the smallest of its frames') runs per slice: it measures progress, not the batch. A
/// slice the peer does not take within the timeout means the peer stopped reading: the failure is
/// reported once (<c>onWriteFailed</c>) and every waiting and later sender fails. Cancellation only
/// stops a sender that is still waiting for its turn or for room: a sealed frame is always written
/// whole.</item>
/// <item>The last frame (CLOSE, <see cref="SendFinalAsync"/>) makes the writer final under the same
/// turn: nothing is sealed after it, so nothing can be reported sent that would follow the CLOSE.</item>
/// <item>Idle, it holds no buffer: buffers are pooled, zeroed after each write, and returned when
/// the queue drains.</item>
/// </list>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The semaphore never makes a wait handle and the timeout source's timer is reset after each write; a flush still running after the session ends must be able to take the turn.")]
internal sealed class FrameWriter : IThreadPoolWorkItem
{
    /// <summary>The most sealed bytes that wait behind the write in flight (docs/PROTOCOL.md §4, limits).</summary>
    public const int MaxPendingBytes = 128 * 1024;

    /// <summary>
    /// Room for urgent frames (texts, control messages) beyond <see cref="MaxPendingBytes"/>, which
    /// bulk frames (file data) never take (docs/PROTOCOL.md §4, limits): one of the largest texts
    /// (65,537 bytes as a frame) and many control messages.
    /// </summary>
    public const int UrgentReserveBytes = 128 * 1024;

    /// <summary>A frame this soon after the previous write ended is part of a burst, and is queued for one flush.</summary>
    public const int BurstWindowMicroseconds = 10;

    /// <summary>
    /// The most bytes one write call takes (docs/PROTOCOL.md §4): the write timeout is re-armed for
    /// each slice, so a peer that reads slowly but steadily is never taken for one that stopped.
    /// </summary>
    public const int MaxWriteSlice = 64 * 1024;

    private static readonly long BurstTicks = Stopwatch.Frequency * BurstWindowMicroseconds / 1_000_000;

    private readonly Stream _stream;
    private readonly NoiseTransport _transport;
    private readonly Func<Exception, TimeSpan, Exception> _onWriteFailed;

    /// <summary>The turn to seal or to take the pending buffer; never held during a write.</summary>
    private readonly SemaphoreSlim _turn = new(1, 1);

    private byte[]? _pending;
    private int _pendingLength;

    /// <summary>Bytes of urgent frames queued in the reserve (beyond <see cref="MaxPendingBytes"/>) since the flush last took the pending buffer.</summary>
    private int _reserveUsed;
    private long _pendingLimitTicks = long.MaxValue;
    private byte[]? _spare;
    private bool _flushing;
    private bool _closed;
    private bool _final;
    private Exception? _failure;
    private long _lastWriteEnd;
    private TaskCompletionSource? _roomFreed;
    private TaskCompletionSource? _pendingWritten;
    private CancellationTokenSource? _writeTimeout;

    /// <summary>How far into the pending buffer a builder may have written (zeroed before the buffer goes back to the pool).</summary>
    private int _pendingDirty;
    private int _reported;

    /// <param name="stream">The connection.</param>
    /// <param name="transport">Seals under the turn.</param>
    /// <param name="onWriteFailed">Maps a failed write (and its timeout) to the exception that ends the session, and reports it; called once.</param>
    public FrameWriter(Stream stream, NoiseTransport transport, Func<Exception, TimeSpan, Exception> onWriteFailed)
    {
        _stream = stream;
        _transport = transport;
        _onWriteFailed = onWriteFailed;
    }

    /// <summary>Tests only: this writer holds a buffer.</summary>
    internal bool HoldsBuffer => Volatile.Read(ref _pending) is not null || Volatile.Read(ref _spare) is not null;

    /// <summary>True once the last frame (<see cref="SendFinalAsync"/>) was sealed: every later send is refused.</summary>
    public bool IsFinal => Volatile.Read(ref _final);

    /// <summary>
    /// Lets <paramref name="build"/> seal frames (at most <paramref name="maxBytes"/>) into the pending
    /// buffer, then writes them or queues them. Returns a copy of the sealed bytes after the first
    /// header when <paramref name="capture"/> is set; null when <paramref name="build"/> sent nothing.
    /// With <paramref name="waitForWrite"/>, completes only once the frames have been written.
    /// <paramref name="urgent"/> frames (texts, control messages) may queue in the reserve
    /// (<see cref="UrgentReserveBytes"/>) when the regular room is taken; bulk frames wait.
    /// </summary>
    /// <exception cref="IOException">An earlier or this write failed (the session reports why).</exception>
    /// <exception cref="ObjectDisposedException">The writer was closed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything was sealed.</exception>
    public ValueTask<byte[]?> SendAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, bool capture, TimeSpan writeTimeout, bool waitForWrite, bool urgent, CancellationToken cancellationToken) =>
        Send(maxBytes, build, state, capture, writeTimeout, waitForWrite ? Mode.WaitForWrite : Mode.Queue, urgent, cancellationToken);

    /// <summary>
    /// Sends the last frame (CLOSE): seals it like <see cref="SendAsync"/>, makes the writer final
    /// under the same turn (every later send fails with <see cref="ObjectDisposedException"/>, before
    /// sealing anything), and completes once it has been written.
    /// </summary>
    /// <exception cref="IOException">An earlier or this write failed.</exception>
    /// <exception cref="ObjectDisposedException">The writer was closed, or is already final.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything was sealed.</exception>
    public async ValueTask SendFinalAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, TimeSpan writeTimeout, CancellationToken cancellationToken) =>
        await Send(maxBytes, build, state, capture: false, writeTimeout, Mode.Final, urgent: true, cancellationToken).ConfigureAwait(false);

    /// <summary>What a send waits for, and whether it is the last.</summary>
    private enum Mode
    {
        /// <summary>Returns once the frames are sealed and queued.</summary>
        Queue,

        /// <summary>Returns once the frames are written.</summary>
        WaitForWrite,

        /// <summary>The last frames: written before returning, and nothing is sealed after them.</summary>
        Final,
    }

    private ValueTask<byte[]?> Send<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, bool capture, TimeSpan writeTimeout, Mode mode, bool urgent, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (!_turn.Wait(0, cancellationToken))
        {
            return SendSlowAsync(maxBytes, build, state, capture, writeTimeout, mode, urgent, cancellationToken);
        }

        Step step = SealUnderTurn(maxBytes, build, state, capture, writeTimeout, mode, urgent, out byte[]? copy, out Task? wait);
        return step switch
        {
            Step.Done => new ValueTask<byte[]?>(copy),
            Step.NoRoom => SendSlowAsync(maxBytes, build, state, capture, writeTimeout, mode, urgent, cancellationToken, wait),
            Step.WriteInline => WriteInline(copy, waitForSocket: !urgent || mode != Mode.Queue),
            _ => WaitWrittenAsync(wait!, copy),
        };
    }

    private async ValueTask<byte[]?> SendSlowAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, bool capture, TimeSpan writeTimeout, Mode mode, bool urgent, CancellationToken cancellationToken, Task? room = null)
    {
        while (true)
        {
            if (room is not null)
            {
                await room.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            Step step = SealUnderTurn(maxBytes, build, state, capture, writeTimeout, mode, urgent, out byte[]? copy, out Task? wait);
            switch (step)
            {
                case Step.Done:
                    return copy;
                case Step.NoRoom:
                    room = wait;
                    continue;
                case Step.WriteInline:
                    return await WriteInline(copy, waitForSocket: !urgent || mode != Mode.Queue).ConfigureAwait(false);
                default:
                    return await WaitWrittenAsync(wait!, copy).ConfigureAwait(false);
            }
        }
    }

    private enum Step
    {
        Done,
        NoRoom,
        WriteInline,
        WaitWritten,
    }

    /// <summary>Runs holding the turn, and releases it.</summary>
    private Step SealUnderTurn<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, bool capture, TimeSpan writeTimeout, Mode mode, bool urgent, out byte[]? copy, out Task? wait)
    {
        bool waitForWrite = mode != Mode.Queue;
        copy = null;
        wait = null;
        try
        {
            ThrowIfUnusable();
            // A buffer taken while empty has room for the regular queue and the reserve on top, so
            // an urgent frame that fits the reserve always fits the buffer.
            bool inBuffer = _pending is not null && _pendingLength + maxBytes <= _pending.Length;
            bool fits = _pendingLength == 0
                ? _pending is not null && _pending.Length >= Capacity(maxBytes)
                : inBuffer && _pendingLength + maxBytes <= MaxPendingBytes;
            bool inReserve = false;
            if (!fits && inBuffer && urgent && _pendingLength > 0 && _reserveUsed + maxBytes <= UrgentReserveBytes)
            {
                // The regular room is taken (most likely by file data): an urgent frame takes the reserve.
                inReserve = true;
                fits = true;
            }

            if (!fits)
            {
                if (_pendingLength > 0)
                {
                    // No room behind the write in flight: wait until the flush takes the pending frames.
                    wait = (_roomFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                    return Step.NoRoom;
                }

                ReturnBuffer(ref _pending, _pendingDirty);
                _pendingDirty = 0;
                int capacity = Capacity(maxBytes);
                _pending = _spare is { } spare && spare.Length >= capacity ? spare : Rent(capacity);
                if (ReferenceEquals(_pending, _spare))
                {
                    _spare = null;
                }
            }

            _pendingDirty = Math.Max(_pendingDirty, _pendingLength + maxBytes);
            int length = build(_transport, _pending.AsSpan(_pendingLength, maxBytes), state);
            if (inReserve && length > 0)
            {
                _reserveUsed += length; // what was sealed: a builder that seals nothing takes nothing
            }

            if (length <= 0)
            {
                if (_pendingLength == 0 && !_flushing)
                {
                    ReleaseIdleBuffers();
                }

                return Step.Done;
            }

            if (capture)
            {
                copy = _pending.AsSpan(_pendingLength + Framing.Frame.HeaderSize, length - Framing.Frame.HeaderSize).ToArray();
            }

            _pendingLength += length;
            if (mode == Mode.Final)
            {
                // Under the same turn as the seal: no frame can follow the last one.
                Volatile.Write(ref _final, true);
            }

            _pendingLimitTicks = Math.Min(_pendingLimitTicks, writeTimeout.Ticks);
            if (_flushing)
            {
                if (!waitForWrite)
                {
                    return Step.Done;
                }

                wait = (_pendingWritten ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                return Step.WaitWritten;
            }

            _flushing = true;
            if (!waitForWrite && Stopwatch.GetTimestamp() - Volatile.Read(ref _lastWriteEnd) < BurstTicks)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return Step.Done;
            }

            return Step.WriteInline;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// The sender found the writer idle: its own call writes. A bulk sender (and any that asked
    /// for its write) waits for the socket; an urgent frame that is only queued does not: when the
    /// socket cannot take it at once (its buffer full of our own earlier file data), the write goes
    /// on without the caller, whose frame is sealed and in order, like one queued behind a write.
    /// </summary>
    private ValueTask<byte[]?> WriteInline(byte[]? copy, bool waitForSocket)
    {
        Task flush = FlushAsync(inline: true);
        if (waitForSocket || flush.IsCompleted)
        {
            return WaitWrittenAsync(flush, copy);
        }

        // A failure ends the session through onWriteFailed and fails every later sender.
        _ = flush.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new ValueTask<byte[]?>(copy);
    }

    private static async ValueTask<byte[]?> WaitWrittenAsync(Task written, byte[]? copy)
    {
        await written.ConfigureAwait(false);
        return copy;
    }

    void IThreadPoolWorkItem.Execute() => _ = FlushAsync(inline: false);

    /// <summary>
    /// Writes what is pending, one call per batch, until nothing is left. Inline (a sender's own
    /// call) it writes one batch and hands whatever queued meanwhile to the thread pool, so that a
    /// sender never ends up writing other senders' frames for long.
    /// </summary>
    private async Task FlushAsync(bool inline)
    {
        while (true)
        {
            byte[]? batch;
            int length;
            int dirty;
            TimeSpan limit;
            TaskCompletionSource? room;
            TaskCompletionSource? written;
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_pendingLength == 0 || _failure is not null || _closed)
                {
                    EndFlush();
                    return;
                }

                batch = _pending!;
                length = _pendingLength;
                dirty = _pendingDirty;
                _pendingDirty = 0;
                limit = TimeSpan.FromTicks(_pendingLimitTicks);
                _pending = _spare;
                _spare = null;
                _pendingLength = 0;
                _reserveUsed = 0;
                _pendingLimitTicks = long.MaxValue;
                room = _roomFreed;
                _roomFreed = null;
                written = _pendingWritten;
                _pendingWritten = null;
            }
            finally
            {
                _turn.Release();
            }

            room?.TrySetResult();
            Exception? failure = null;
            try
            {
                await WriteAsync(batch.AsMemory(0, length), limit).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(batch.AsSpan(0, dirty));
            }

            Exception? fault = failure is not null && Interlocked.Exchange(ref _reported, 1) == 0 ? _onWriteFailed(failure, limit) : null;
            await _turn.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_spare is null && !_closed && failure is null)
                {
                    _spare = batch;
                }
                else
                {
                    ReturnBuffer(ref batch, 0);
                }

                if (failure is not null)
                {
                    Fail(fault ?? failure);
                    EndFlush();
                }
                else if (inline && _pendingLength > 0)
                {
                    // Hand the rest to the thread pool; this sender's frame is out.
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                }
                else if (inline)
                {
                    EndFlush();
                }
            }
            finally
            {
                _turn.Release();
            }

            if (failure is not null)
            {
                written?.TrySetException(new IOException("The connection failed while sending.", failure));
                if (inline)
                {
                    throw new IOException("The connection failed while sending.", failure);
                }

                return;
            }

            written?.TrySetResult();
            if (inline)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> in slices of at most <see cref="MaxWriteSlice"/>; each slice
    /// the kernel cannot take at once must be taken within <paramref name="limit"/>, so the write
    /// fails only when the peer takes nothing for that long.
    /// </summary>
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, TimeSpan limit)
    {
        while (!bytes.IsEmpty)
        {
            ReadOnlyMemory<byte> slice = bytes[..Math.Min(bytes.Length, MaxWriteSlice)];
            bytes = bytes[slice.Length..];
            CancellationTokenSource timeout = _writeTimeout ??= new CancellationTokenSource();
            ValueTask write = _stream.WriteAsync(slice, timeout.Token);
            if (write.IsCompleted)
            {
                write.GetAwaiter().GetResult();
                continue;
            }

            // The kernel could not take this slice at once: from now on it has a deadline.
            timeout.CancelAfter(limit);
            try
            {
                await write.ConfigureAwait(false);
            }
            finally
            {
                if (!timeout.TryReset())
                {
                    timeout.Dispose();
                    _writeTimeout = null;
                }
            }
        }
    }

    /// <summary>Under the turn: records the first failure and releases every waiter with it.</summary>
    private void Fail(Exception fault)
    {
        _failure ??= fault;
        var error = new IOException("The connection failed while sending.", _failure);
        Interlocked.Exchange(ref _roomFreed, null)?.TrySetException(error);
        if (_pendingWritten is { } queued)
        {
            _pendingWritten = null;
            queued.TrySetException(error);
        }

        DropPending();
    }

    /// <summary>Under the turn: the flush is over; an idle writer keeps no buffer.</summary>
    private void EndFlush()
    {
        _flushing = false;
        Volatile.Write(ref _lastWriteEnd, Stopwatch.GetTimestamp());
        if (_pendingLength == 0)
        {
            ReleaseIdleBuffers();
        }

        // Anyone still waiting (closed or failed meanwhile) is released.
        _roomFreed?.TrySetResult();
        _roomFreed = null;
        if (_pendingWritten is { } queued)
        {
            _pendingWritten = null;
            queued.TrySetException(new IOException("The session ended before the message was written.", _failure));
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_final)
        {
            throw new ObjectDisposedException(nameof(FrameWriter), "The last frame (CLOSE) has been sealed: nothing more is sent.");
        }

        if (_failure is not null)
        {
            throw new IOException("An earlier write failed.", _failure);
        }
    }

    /// <summary>
    /// Stops the writer: what is pending is dropped (zeroed), waiters fail, and the send key is
    /// erased once no sender holds the turn. A write in flight fails on the closed stream.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed = true;
            DropPending();
            _roomFreed?.TrySetResult();
            _roomFreed = null;
            _pendingWritten?.TrySetException(new ObjectDisposedException(nameof(FrameWriter)));
            _pendingWritten = null;
            _transport.DisposeSend();
        }
        finally
        {
            _turn.Release();
        }
    }

    private void DropPending()
    {
        if (_pending is not null)
        {
            CryptographicOperations.ZeroMemory(_pending.AsSpan(0, Math.Min(_pendingDirty, _pending.Length)));
        }

        _pendingDirty = 0;
        _pendingLength = 0;
        _reserveUsed = 0;
        _pendingLimitTicks = long.MaxValue;
        ReleaseIdleBuffers();
    }

    /// <summary>Returns the pending and spare buffers; the pending one must hold nothing unsent.</summary>
    private void ReleaseIdleBuffers()
    {
        ReturnBuffer(ref _pending, _pendingDirty);
        _pendingDirty = 0;
        ReturnBuffer(ref _spare, 0);
    }

    private static byte[] Rent(int size) => ArrayPool<byte>.Shared.Rent(size);

    /// <summary>The size a pending buffer needs when a call of <paramref name="maxBytes"/> starts it: the regular room (or the call, if larger) and the urgent reserve.</summary>
    private static int Capacity(int maxBytes) => Math.Max(MaxPendingBytes, maxBytes) + UrgentReserveBytes;

    /// <summary>Zeroes the first <paramref name="dirty"/> bytes (the rest were zeroed after their write) and returns the buffer to the pool.</summary>
    private static void ReturnBuffer(ref byte[]? buffer, int dirty)
    {
        if (buffer is not null)
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, Math.Min(dirty, buffer.Length)));
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }
}
