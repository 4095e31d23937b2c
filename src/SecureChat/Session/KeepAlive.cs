using System.Buffers.Binary;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// Keep-alive and the idle timeout (docs/PROTOCOL.md §4): a PING (8 bytes) after
/// <see cref="SessionOptions.PingInterval"/> of silence, a PONG echoing every PING, and the end of
/// the session after <see cref="SessionOptions.IdleTimeout"/> with nothing from the peer. Time
/// spent waiting for this side (the application, a file writer) is not silence from the peer.
/// </summary>
internal sealed class KeepAlive : IDisposable
{
    private readonly SessionOptions _options;
    private readonly Func<MessageType, byte[], ValueTask> _send;
    private readonly Func<SecureChatException, Task> _fail;
    private long _lastReceiveTicks = Environment.TickCount64;
    private long _lastPingTicks;
    private bool _deliveryBlocked;
    private byte[]? _pendingPong;
    private int _pongScheduled;
    private int _pingInFlight;
    private readonly Lock _timerLock = new();
    private Timer? _timer;
    private bool _stopped;
    private int _ticking;

    /// <param name="options">The intervals.</param>
    /// <param name="send">Sends one message (throws <see cref="SecureChatException"/> or <see cref="InvalidOperationException"/> once the session has ended).</param>
    /// <param name="fail">Ends the session with a fault.</param>
    public KeepAlive(SessionOptions options, Func<MessageType, byte[], ValueTask> send, Func<SecureChatException, Task> fail)
    {
        _options = options;
        _send = send;
        _fail = fail;
    }

    /// <summary>Something arrived from the peer: the idle clock starts again.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastReceiveTicks, Environment.TickCount64);

    /// <summary>The reader loop waits for this side (backpressure); silence meanwhile does not count.</summary>
    public void BeginWait() => Volatile.Write(ref _deliveryBlocked, true);

    /// <summary>The wait is over; the idle clock starts again.</summary>
    public void EndWait()
    {
        Volatile.Write(ref _deliveryBlocked, false);
        Touch();
    }

    /// <summary>A PING arrived: answer it with a PONG, sent on the side.</summary>
    /// <exception cref="ProtocolViolationException">The PING is not 8 bytes.</exception>
    public void OnPing(ReadOnlySpan<byte> body)
    {
        if (body.Length != TransportLimits.PingLength)
        {
            throw new ProtocolViolationException("The peer sent a PING that is not 8 bytes.");
        }

        // At most one PONG waits to be sent, answering the latest PING: a flood of PINGs
        // cannot queue unbounded work.
        Volatile.Write(ref _pendingPong, body.ToArray());
        if (Interlocked.Exchange(ref _pongScheduled, 1) == 0)
        {
            _ = ReplyPongAsync();
        }
    }

    /// <summary>
    /// Starts checking the idle time and sending PINGs, on a timer (an idle session holds a timer,
    /// not a waiting task) until <see cref="Stop"/>.
    /// </summary>
    public void Start()
    {
        Touch();
        TimeSpan shortest = _options.PingInterval < _options.IdleTimeout ? _options.PingInterval : _options.IdleTimeout;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 10, 1000));
        lock (_timerLock)
        {
            if (!_stopped)
            {
                _timer = new Timer(static state => ((KeepAlive)state!).Tick(), this, tick, tick);
            }
        }
    }

    /// <summary>Stops the timer (the session is ending).</summary>
    public void Stop()
    {
        lock (_timerLock)
        {
            _stopped = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>Stops the timer.</summary>
    public void Dispose() => Stop();

    /// <summary>Tests only: true while the timer exists.</summary>
    internal bool HasTimer
    {
        get
        {
            lock (_timerLock)
            {
                return _timer is not null;
            }
        }
    }

    private void Tick()
    {
        if (Volatile.Read(ref _stopped) || Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            long now = Environment.TickCount64;
            long silent = now - Interlocked.Read(ref _lastReceiveTicks);
            if (silent >= (long)_options.IdleTimeout.TotalMilliseconds && !Volatile.Read(ref _deliveryBlocked))
            {
                Stop();
                _ = _fail(new SessionTimeoutException($"Nothing arrived from the peer for {_options.IdleTimeout.TotalSeconds:0.#} s: the connection is lost."));
                return;
            }

            if (silent >= (long)_options.PingInterval.TotalMilliseconds && now - _lastPingTicks >= (long)_options.PingInterval.TotalMilliseconds)
            {
                // Sent on the side, so the timer keeps checking the idle time even if the send
                // waits behind a stalled write.
                _lastPingTicks = now;
                _ = SendPingAsync(now);
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private async Task ReplyPongAsync()
    {
        try
        {
            while (true)
            {
                byte[]? echo = Interlocked.Exchange(ref _pendingPong, null);
                if (echo is null)
                {
                    Volatile.Write(ref _pongScheduled, 0);
                    if (Volatile.Read(ref _pendingPong) is null || Interlocked.Exchange(ref _pongScheduled, 1) != 0)
                    {
                        return;
                    }

                    continue;
                }

                await _send(MessageType.Pong, echo).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session has ended; the fault is already recorded.
        }
    }

    private async Task SendPingAsync(long now)
    {
        if (Interlocked.Exchange(ref _pingInFlight, 1) != 0)
        {
            return;
        }

        try
        {
            byte[] ping = new byte[TransportLimits.PingLength];
            BinaryPrimitives.WriteInt64BigEndian(ping, now);
            await _send(MessageType.Ping, ping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session has ended; the fault is already recorded.
        }
        finally
        {
            Volatile.Write(ref _pingInFlight, 0);
        }
    }
}
