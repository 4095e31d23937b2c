using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Limits;

namespace SecureChat.Relay.Nameplates;

/// <summary>
/// A connection waiting under a nameplate. Its state moves once, under compare-and-swap:
/// allocating → open (claims can find it; "allocated" may still be on its way) → paired, or → ended (left, expired, impatient,
/// shutdown). Whoever makes the move owns what follows, so "paired" and an error frame can never
/// both be written to the waiter.
/// </summary>
internal sealed class Waiter(ClientConnection connection)
{
    private const int Allocating = 0;
    private const int Open = 1;
    private const int Paired = 2;
    private const int Ended = 3;

    private int _state;

    /// <summary>The waiting connection.</summary>
    public ClientConnection Connection => connection;

    /// <summary>The nameplate, set by the registry when it allocates one.</summary>
    public int Nameplate { get; set; }

    /// <summary>True while a claim can pair with it.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == Open;

    /// <summary>True once a claim paired with it.</summary>
    public bool HasPaired => Volatile.Read(ref _state) == Paired;

    /// <summary>Why it stopped waiting, when it was not the waiter's own doing (<c>expired</c>).</summary>
    public string? EndReason { get; private set; }

    /// <summary>Cancelled to wake the watch on the waiter's socket (expiry, shutdown).</summary>
    public CancellationTokenSource Watch { get; } = new();

    /// <summary>Whether "allocated" reached the socket; a claim waits for it before it writes "paired".</summary>
    public TaskCompletionSource<bool> AllocatedSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The pair, once both "paired" frames are written; null if the pairing failed.</summary>
    public TaskCompletionSource<Pair?> PairStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The waiter's share of the waiting limits, given back when it stops waiting.</summary>
    public CountLease? WaitingLease { get; set; }

    /// <summary>The wait-timeout timer.</summary>
    public ITimer? ExpiryTimer { get; set; }

    /// <summary>"allocated" is written: claims may find it now.</summary>
    public bool TryOpen() => Interlocked.CompareExchange(ref _state, Open, Allocating) == Allocating;

    /// <summary>A claim takes it (called by the registry, under its lock).</summary>
    public bool TryPair() => Interlocked.CompareExchange(ref _state, Paired, Open) == Open;

    /// <summary>It stops waiting without a pair; false if it was already paired or ended.</summary>
    public bool TryEnd(string? reason = null)
    {
        if (Interlocked.CompareExchange(ref _state, Ended, Open) == Open || Interlocked.CompareExchange(ref _state, Ended, Allocating) == Allocating)
        {
            EndReason = reason;
            return true;
        }

        return false;
    }

    /// <summary>The wait timed out (or, scale-out, its nameplate was <c>lost</c> to another node): end it and wake the watch, which answers <c>timeout</c>.</summary>
    public void Expire(string reason = "expired")
    {
        if (TryEnd(reason))
        {
            Watch.Cancel();
        }
    }

    /// <summary>Stops the timer and gives the waiting limits back (once it is paired or ended).</summary>
    public void StopWaiting()
    {
        ExpiryTimer?.Dispose();
        WaitingLease?.Dispose();
    }
}
