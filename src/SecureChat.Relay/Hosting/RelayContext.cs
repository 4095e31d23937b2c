using System.Collections.Concurrent;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Metrics;
using SecureChat.Relay.Nameplates;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// What every connection of one relay node shares: the options, the caps derived from the
/// open-file limit, the limiters, the nameplate registry, the buffer budget, the pairs, the
/// refusal counter and the event sink. Metrics (a later step) would read their gauges here.
/// </summary>
internal sealed class RelayContext : IDisposable
{
    private readonly Action<RelayEvent>? _onEvent;
    private readonly ConcurrentDictionary<ClientConnection, byte> _connections = new();
    private readonly SemaphoreSlim _slots;
    private int _pipeDescriptorsFree;
    private int _pairs;
    private bool _draining;
    private bool _stopped;

    public RelayContext(RelayOptions options, int openFileLimit, INameplateRegistry registry, Action<RelayEvent>? onEvent)
    {
        Options = options;
        Limits = options.Limits;
        Time = options.TimeProvider;
        _onEvent = onEvent;
        int available = Math.Max(0, openFileLimit - Limits.ReservedFileDescriptors);
        ConnectionCap = Math.Max(16, available - PipeShare(Limits, available));
        PipeDescriptors = Math.Max(0, available - ConnectionCap) & ~1;
        _pipeDescriptorsFree = PipeDescriptors;
        MaxWaiting = Math.Min(options.MaxWaiting, ConnectionCap);
        MaxPairs = Math.Min(options.MaxPairs, ConnectionCap / 2);
        _slots = new SemaphoreSlim(ConnectionCap, ConnectionCap);
        Registry = registry;
        Exempt = new ExemptNetworks(options.Exempt);
        Rates = new RequestRateLimits(Limits);
        FirstFrame = new CountLimiter(Limits.FirstFramePerAddress, Limits.WidePrefixFactor, Limits.FirstFrameGlobal);
        Drains = new CountLimiter(Limits.FirstFramePerAddress, Limits.WidePrefixFactor, Limits.FirstFrameGlobal);
        Waiting = new CountLimiter(Limits.WaitingPerAddress, Limits.WidePrefixFactor, MaxWaiting);
        PairsPerAddress = new CountLimiter(Limits.PairsPerAddress, Limits.WidePrefixFactor, int.MaxValue);
        Budget = new BufferBudget(Limits.BufferBudgetBytes, Limits.MinReadSize);
        Pipes = new SplicePipes(Limits, Time, TryTakePipeDescriptor, () => Interlocked.Increment(ref _pipeDescriptorsFree));
        Supervisor = new PairSupervisor(Time, Limits.SupervisionInterval);
        Refusals = new RefusalCounter(Time, Limits.RefusalSummaryInterval, Emit);
        Metrics = new RelayMetrics(this);
        Forwarding = new ForwardingResources(Budget, Pipes, Limits, Time, Metrics.ForwardedToWaiter, Metrics.ForwardedToJoiner);
    }

    public RelayOptions Options { get; }

    public RelayLimits Limits { get; }

    public TimeProvider Time { get; }

    /// <summary>The most sockets at once: the open-file limit less a reserve and less <see cref="PipeDescriptors"/>.</summary>
    public int ConnectionCap { get; }

    /// <summary>The descriptors zero-copy pipes may hold at once: their own share of the open-file limit, apart from the socket slots.</summary>
    public int PipeDescriptors { get; }

    /// <summary>The effective waiting cap.</summary>
    public int MaxWaiting { get; }

    /// <summary>The effective pair cap (a pair holds two sockets).</summary>
    public int MaxPairs { get; }

    public INameplateRegistry Registry { get; }

    public ExemptNetworks Exempt { get; }

    public RequestRateLimits Rates { get; }

    public CountLimiter FirstFrame { get; }

    /// <summary>Refused connections in their 2 s discard (sized like <see cref="FirstFrame"/>).</summary>
    public CountLimiter Drains { get; }

    public CountLimiter Waiting { get; }

    public CountLimiter PairsPerAddress { get; }

    public BufferBudget Budget { get; }

    /// <summary>The pipes of the zero-copy path; their descriptors come from <see cref="PipeDescriptors"/>, never from the socket slots.</summary>
    public SplicePipes Pipes { get; }

    /// <summary>What every pair shares.</summary>
    public ForwardingResources Forwarding { get; }

    public PairSupervisor Supervisor { get; }

    public RefusalCounter Refusals { get; }

    /// <summary>The Prometheus series (served with --metrics).</summary>
    public RelayMetrics Metrics { get; }

    /// <summary>Set by a stopping relay: allocations are refused with busy.</summary>
    public bool Draining
    {
        get => Volatile.Read(ref _draining);
        set => Volatile.Write(ref _draining, value);
    }

    /// <summary>Set once every socket is being closed.</summary>
    public bool Stopped
    {
        get => Volatile.Read(ref _stopped);
        set => Volatile.Write(ref _stopped, value);
    }

    /// <summary>Pairs now.</summary>
    public int Pairs => Volatile.Read(ref _pairs);

    /// <summary>Open sockets now.</summary>
    public int Connections => _connections.Count;

    /// <summary>Waits for a socket slot under the open-file cap.</summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void ReleaseSlot() => _slots.Release();

    /// <summary>Wraps an accepted socket; closing it gives its slot back.</summary>
    public ClientConnection Track(System.Net.Sockets.Socket socket, ClientAddress client)
    {
        var connection = new ClientConnection(socket, client, closed =>
        {
            _connections.TryRemove(closed, out _);
            ReleaseSlot();
        });
        _connections.TryAdd(connection, 0);
        return connection;
    }

    /// <summary>
    /// The descriptors kept for pipes out of <paramref name="available"/> (the open-file limit less
    /// the process's reserve): two per <see cref="RelayLimits.ZeroCopyPipes"/>, at most an eighth,
    /// even; none where the zero-copy path cannot be used.
    /// </summary>
    private static int PipeShare(RelayLimits limits, int available) => limits.ZeroCopy && OperatingSystem.IsLinux()
        ? (int)Math.Min(2L * limits.ZeroCopyPipes, available / 8) & ~1
        : 0;

    /// <summary>Takes one descriptor of the pipes' share, or returns false (none left: the direction copies).</summary>
    private bool TryTakePipeDescriptor()
    {
        int free = Volatile.Read(ref _pipeDescriptorsFree);
        while (free > 0)
        {
            int seen = Interlocked.CompareExchange(ref _pipeDescriptorsFree, free - 1, free);
            if (seen == free)
            {
                return true;
            }

            free = seen;
        }

        return false;
    }

    /// <summary>Takes a slot of the global pair cap, or returns null.</summary>
    public PairSlot? TryReservePair()
    {
        if (Interlocked.Increment(ref _pairs) > MaxPairs)
        {
            Interlocked.Decrement(ref _pairs);
            return null;
        }

        return new PairSlot(() => Interlocked.Decrement(ref _pairs));
    }

    /// <summary>Closes every socket (shutdown).</summary>
    public void CloseAll()
    {
        foreach (Pair pair in Supervisor.Pairs)
        {
            pair.Close("shutdown");
        }

        foreach (ClientConnection connection in _connections.Keys)
        {
            connection.Close();
        }
    }

    public void Emit(RelayEvent relayEvent)
    {
        if (_onEvent is null)
        {
            return;
        }

        try
        {
            _onEvent(relayEvent with { Time = Time.GetUtcNow() });
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // A broken log must not take the relay down.
        }
    }

    public void Dispose()
    {
        Supervisor.Dispose();
        Refusals.Dispose();
        Rates.Dispose();
        Registry.Dispose();

        // _slots is not disposed: connections still draining after a stop give their slot back
        // (from timer callbacks too), and a disposed semaphore would throw there.
    }
}
