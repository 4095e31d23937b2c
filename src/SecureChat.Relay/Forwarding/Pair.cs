using System.Net.Sockets;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Limits;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// A waiter and a joiner after "paired": two <see cref="ForwardingDirection"/>s and the close
/// rules of docs/RELAY.md. A FIN from one side is passed on as a half-close of the other side once
/// everything before it was sent; both sockets close when both directions have ended, 30 s after
/// the first FIN, on any failure, or when the supervisor finds the pair idle (1 h), too old
/// (24 h) or stalled (no send progress for 120 s), or when the opt-in byte cap is reached.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "_closing has no timer and no wait handle, so nothing to release; disposing it would race with a direction that is still starting.")]
internal sealed class Pair
{
    private readonly ClientConnection _waiter;
    private readonly ClientConnection _joiner;
    private readonly IReadOnlyList<IDisposable> _leases;
    private readonly RelayLimits _limits;
    private readonly TimeProvider _time;
    private readonly Action<Pair, string> _onClosed;
    private readonly long _started;
    private int _directionsEnded;
    private int _closed;
    private int _halfClosed;
    private readonly CancellationTokenSource _closing = new();
    private ITimer? _halfCloseTimer;

    public Pair(string nameplate, ClientConnection waiter, ClientConnection joiner, IReadOnlyList<IDisposable> leases, ForwardingResources resources, Action<Pair, string> onClosed)
    {
        Nameplate = nameplate;
        _waiter = waiter;
        _joiner = joiner;
        _leases = leases;
        _limits = resources.Limits;
        _time = resources.Time;
        _onClosed = onClosed;
        _started = _time.GetTimestamp();
        ToWaiter = new ForwardingDirection(joiner.Socket, waiter.Socket, resources.Budget, _limits, _time, Allowance, waiter.Client.Exempt ? null : waiter.Client.Keys.Narrow, resources.Pipes, resources.CountToWaiter);
        ToJoiner = new ForwardingDirection(waiter.Socket, joiner.Socket, resources.Budget, _limits, _time, Allowance, joiner.Client.Exempt ? null : joiner.Client.Keys.Narrow, resources.Pipes, resources.CountToJoiner);
    }

    /// <summary>The nameplate it paired under.</summary>
    public string Nameplate { get; }

    /// <summary>Joiner to waiter.</summary>
    public ForwardingDirection ToWaiter { get; }

    /// <summary>Waiter to joiner.</summary>
    public ForwardingDirection ToJoiner { get; }

    /// <summary>Time since "paired".</summary>
    public TimeSpan Age => _time.GetElapsedTime(_started);

    /// <summary>True once one direction has ended and the grace timer runs.</summary>
    public bool IsHalfClosed => Volatile.Read(ref _halfClosed) != 0;

    /// <summary>True once both sockets are closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Runs one direction to its end, then applies the close rules.</summary>
    public async Task RunAsync(ForwardingDirection direction)
    {
        DirectionEnd end = await direction.RunAsync(_closing.Token).ConfigureAwait(false);
        if (end != DirectionEnd.Fin)
        {
            Close(end == DirectionEnd.CapReached ? "byte-cap" : "reset");
            return;
        }

        try
        {
            direction.To.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close("reset");
            return;
        }

        if (Interlocked.Increment(ref _directionsEnded) == 2)
        {
            Close("closed");
        }
        else
        {
            _halfCloseTimer = _time.CreateTimer(static state => ((Pair)state!).Close("half-close-timeout"), this, _limits.HalfCloseGrace, Timeout.InfiniteTimeSpan);
            Volatile.Write(ref _halfClosed, 1);
            if (IsClosed)
            {
                _halfCloseTimer.Dispose();
            }
        }
    }

    /// <summary>Bytes the pair may still forward under the opt-in byte cap.</summary>
    private long Allowance() => _limits.MaxBytesPerPair is { } cap ? cap - ToWaiter.Bytes - ToJoiner.Bytes : long.MaxValue;

    /// <summary>Why the supervisor should close the pair now, or null.</summary>
    public string? Overdue()
    {
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_started, now) >= _limits.PairLifetime)
        {
            return "lifetime";
        }

        if (_time.GetElapsedTime(Math.Max(ToWaiter.LastActivity, ToJoiner.LastActivity), now) >= _limits.PairIdleTimeout)
        {
            return "idle";
        }

        foreach (ForwardingDirection direction in (ForwardingDirection[])[ToWaiter, ToJoiner])
        {
            long since = direction.SendingSince;
            if (since != 0 && _time.GetElapsedTime(since, now) >= _limits.SendStallTimeout)
            {
                return "stalled";
            }
        }

        return null;
    }

    /// <summary>Closes both sockets and gives the limits back (once).</summary>
    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _halfCloseTimer?.Dispose();
        _closing.Cancel();
        _waiter.Close();
        _joiner.Close();
        foreach (IDisposable lease in _leases)
        {
            lease.Dispose();
        }

        _onClosed(this, reason);
    }
}

/// <summary>
/// What every pair of a relay shares: the buffer budget, the pipes of the zero-copy path (null:
/// always copy), the limits, the clock, and where forwarded bytes are counted as they go.
/// </summary>
internal sealed record ForwardingResources(BufferBudget Budget, SplicePipes? Pipes, RelayLimits Limits, TimeProvider Time, Action<long>? CountToWaiter = null, Action<long>? CountToJoiner = null);

/// <summary>A slot of the global pair cap; disposing it gives the slot back, once.</summary>
internal sealed class PairSlot(Action release) : IDisposable
{
    private int _released;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
