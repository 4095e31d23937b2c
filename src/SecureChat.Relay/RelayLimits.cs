namespace SecureChat.Relay;

/// <summary>
/// Every limit and timeout of a relay node with its default (issue 13, "Running it for many
/// people"; docs/RELAY.md, "Limits"). Per-address limits count an IPv4 address (/32) or an IPv6
/// /64; an IPv6 /48 gets <see cref="WidePrefixFactor"/> times as much.
/// </summary>
public sealed record RelayLimits
{
    /// <summary>Connections from one address that have not completed their first frame.</summary>
    public int FirstFramePerAddress { get; init; } = 20;

    /// <summary>Nameplates waiting for one address.</summary>
    public int WaitingPerAddress { get; init; } = 20;

    /// <summary>Pairs one address takes part in.</summary>
    public int PairsPerAddress { get; init; } = 50;

    /// <summary>How many times the per-address limits an IPv6 /48 gets.</summary>
    public int WidePrefixFactor { get; init; } = 4;

    /// <summary>Allocations one address may make per minute, after the burst.</summary>
    public int AllocationsPerMinute { get; init; } = 30;

    /// <summary>Allocations one address may make at once.</summary>
    public int AllocationBurst { get; init; } = 20;

    /// <summary>Claims one address may make per minute, after the burst (a redirect counts as a claim).</summary>
    public int ClaimsPerMinute { get; init; } = 30;

    /// <summary>Claims one address may make at once.</summary>
    public int ClaimBurst { get; init; } = 20;

    /// <summary>Failed claims (unknown-nameplate) one address may make before it has to wait.</summary>
    public int FailedClaimBurst { get; init; } = 5;

    /// <summary>One more failed claim is allowed after each interval; with none left, every claim is rate-limited.</summary>
    public TimeSpan FailedClaimInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections without a first frame, all addresses together.</summary>
    public int FirstFrameGlobal { get; init; } = 2_000;

    /// <summary>File descriptors kept back from the open-file limit for the process itself (listener, logs, runtime).</summary>
    public int ReservedFileDescriptors { get; init; } = 128;

    /// <summary>The first frame must be complete this long after the connection was accepted (an absolute deadline).</summary>
    public TimeSpan FirstFrameTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A nameplate that stopped waiting, for any reason, is not handed out again for this long.</summary>
    public TimeSpan NameplateQuarantine { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After the first FIN of a pair, both sockets are closed at the latest this long after.</summary>
    public TimeSpan HalfCloseGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After an error frame, input is read and discarded this long, so a reset does not swallow the error.</summary>
    public TimeSpan ErrorDrain { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A pair with no byte in either direction for this long is closed.</summary>
    public TimeSpan PairIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>A pair is closed this long after it was paired, whatever it does.</summary>
    public TimeSpan PairLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A pair whose send makes no progress for this long (the receiver stopped reading) is closed.</summary>
    public TimeSpan SendStallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP_USER_TIMEOUT on accepted sockets: unacknowledged data for this long kills the connection.</summary>
    public TimeSpan TcpUserTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP keepalive: idle time before the first probe.</summary>
    public TimeSpan KeepAliveIdle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP keepalive: time between probes.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>TCP keepalive: unanswered probes before the connection is dead.</summary>
    public int KeepAliveProbes { get; init; } = 6;

    /// <summary>All forwarding buffers together (above it, a read gets only <see cref="MinReadSize"/>).</summary>
    public long BufferBudgetBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>The first read of a streaming direction.</summary>
    public int InitialReadSize { get; init; } = 64 * 1024;

    /// <summary>The largest read of a streaming direction (it doubles after each full read up to this).</summary>
    public int MaxReadSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>The read a direction always gets, even with the budget spent (so no pair ever stalls on the budget).</summary>
    public int MinReadSize { get; init; } = 16 * 1024;

    /// <summary>
    /// On Linux, a streaming direction moves its bytes with splice(2) through a kernel pipe (two
    /// descriptors while it streams, from the pipes' own share of the open-file limit, see
    /// <see cref="ZeroCopyPipes"/>) instead of copying them through the process. False: always copy.
    /// </summary>
    public bool ZeroCopy { get; init; } = true;

    /// <summary>
    /// Zero-copy pipes open at once, all directions together (two descriptors each). Their
    /// descriptors are carved out of the open-file limit apart from the socket cap — at most an
    /// eighth of what is left after <see cref="ReservedFileDescriptors"/> — so a pipe never takes a
    /// slot a connection needs; with every pipe in use, a streaming direction copies. 0: always copy.
    /// </summary>
    public int ZeroCopyPipes { get; init; } = 128;

    /// <summary>Bytes one pair may forward, both directions together; then it is closed. Null (the default): no cap.</summary>
    public long? MaxBytesPerPair { get; init; }

    /// <summary>Bytes per second each direction of a pair may forward (paced, not dropped). Null (the default): no cap.</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>How often pairs are checked for the idle, lifetime and stall limits.</summary>
    public TimeSpan SupervisionInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often refusals are summarised in one event.</summary>
    public TimeSpan RefusalSummaryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping relay goes on serving its waiters and pairs.</summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit that cannot work.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FirstFramePerAddress, 1, nameof(FirstFramePerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(WaitingPerAddress, 1, nameof(WaitingPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(PairsPerAddress, 1, nameof(PairsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(WidePrefixFactor, 1, nameof(WidePrefixFactor));
        ArgumentOutOfRangeException.ThrowIfLessThan(AllocationsPerMinute, 1, nameof(AllocationsPerMinute));
        ArgumentOutOfRangeException.ThrowIfLessThan(AllocationBurst, 1, nameof(AllocationBurst));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClaimsPerMinute, 1, nameof(ClaimsPerMinute));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClaimBurst, 1, nameof(ClaimBurst));
        ArgumentOutOfRangeException.ThrowIfLessThan(FailedClaimBurst, 1, nameof(FailedClaimBurst));
        ArgumentOutOfRangeException.ThrowIfLessThan(FirstFrameGlobal, 1, nameof(FirstFrameGlobal));
        ArgumentOutOfRangeException.ThrowIfNegative(ReservedFileDescriptors, nameof(ReservedFileDescriptors));
        ArgumentOutOfRangeException.ThrowIfNegative(ZeroCopyPipes, nameof(ZeroCopyPipes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinReadSize, 1, nameof(MinReadSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialReadSize, MinReadSize, nameof(InitialReadSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReadSize, InitialReadSize, nameof(MaxReadSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferBudgetBytes, 0, nameof(BufferBudgetBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytesPerPair ?? 1, 1, nameof(MaxBytesPerPair));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytesPerSecond ?? 1, 1, nameof(MaxBytesPerSecond));
        foreach (TimeSpan span in (TimeSpan[])[FailedClaimInterval, FirstFrameTimeout, HalfCloseGrace, ErrorDrain, PairIdleTimeout, PairLifetime, SendStallTimeout, SupervisionInterval, RefusalSummaryInterval])
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero);
        }
    }
}
