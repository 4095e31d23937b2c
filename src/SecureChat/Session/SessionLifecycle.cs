namespace SecureChat.Session;

/// <summary>Where a session is in its life; it only moves forward.</summary>
internal enum SessionState
{
    /// <summary>Sending and receiving.</summary>
    Open,

    /// <summary>This side is closing: its CLOSE is on the way, the peer may still send until it hangs up.</summary>
    Closing,

    /// <summary>Shutdown has begun: the loops stop, the stream closes, the keys are being erased.</summary>
    ShuttingDown,

    /// <summary>Ended cleanly; every key is erased.</summary>
    Closed,

    /// <summary>Ended by a fault (<see cref="SessionLifecycle.Fault"/>); every key is erased.</summary>
    Faulted,
}

/// <summary>
/// The one lifecycle state of a session (Open → Closing → ShuttingDown → Closed or Faulted) and the
/// first fault, which ended it. Thread-safe: transitions are atomic, so that exactly one caller
/// begins the close, records the fault, or runs the shutdown.
/// </summary>
internal sealed class SessionLifecycle
{
    private readonly Lock _lock = new();
    private int _state;
    private SecureChatException? _fault;

    /// <summary>The current state.</summary>
    public SessionState State => (SessionState)Volatile.Read(ref _state);

    /// <summary>True from the start of the shutdown on.</summary>
    public bool IsShuttingDown => State >= SessionState.ShuttingDown;

    /// <summary>The fault that ended the session, or null.</summary>
    public SecureChatException? Fault => Volatile.Read(ref _fault);

    /// <summary>Open → Closing; false when the session was already closing or ending.</summary>
    public bool TryBeginClose() =>
        Interlocked.CompareExchange(ref _state, (int)SessionState.Closing, (int)SessionState.Open) == (int)SessionState.Open;

    /// <summary>
    /// Records <paramref name="fault"/> if it is the first and the shutdown has not begun (a fault
    /// after that, say a send cut off by the close, is a consequence of the end, not its cause).
    /// </summary>
    public bool TryRecordFault(SecureChatException fault)
    {
        lock (_lock)
        {
            if (_fault is not null || IsShuttingDown)
            {
                return false;
            }

            Volatile.Write(ref _fault, fault);
            return true;
        }
    }

    /// <summary>Moves to ShuttingDown; true for the one caller that is to run the shutdown.</summary>
    public bool TryBeginShutdown()
    {
        lock (_lock)
        {
            if (IsShuttingDown)
            {
                return false;
            }

            Volatile.Write(ref _state, (int)SessionState.ShuttingDown);
            return true;
        }
    }

    /// <summary>The shutdown has finished: Closed, or Faulted when a fault was recorded.</summary>
    public void End() => Volatile.Write(ref _state, (int)(Fault is null ? SessionState.Closed : SessionState.Faulted));
}
