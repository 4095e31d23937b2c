using System.Net;
using System.Net.Sockets;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Metrics;
using SecureChat.Relay.Nameplates;
using SecureChat.Relay.Nameplates.Redis;

namespace SecureChat.Relay;

/// <summary>
/// One relay node (docs/RELAY.md): accepts TCP connections, hands out nameplates to waiters,
/// pairs a claim with its waiter and forwards bytes between them verbatim. Asynchronous sockets
/// throughout, no thread per connection; at most as many sockets as the open-file limit allows
/// (raised to the hard limit at start), and accepting backs off when descriptors run out.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    private readonly RelayContext _context;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopAccepting = new();
    private Task _acceptLoop = Task.CompletedTask;
    private MetricsEndpoint? _metrics;
    private int _stopped;

    /// <summary>Creates a relay; <see cref="Start"/> binds it.</summary>
    /// <param name="options">Where and how it runs.</param>
    /// <param name="onEvent">Receives what the operator may see (no addresses unless asked for); called from any thread.</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public RelayServer(RelayOptions options, Action<RelayEvent>? onEvent = null)
        : this(options, null, onEvent)
    {
    }

    /// <summary>Creates a relay with another nameplate registry (the seam for a Redis-backed set of nodes).</summary>
    internal RelayServer(RelayOptions options, INameplateRegistry? registry, Action<RelayEvent>? onEvent, int? openFileLimit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int limit = openFileLimit ?? OpenFileLimit.RaiseToHardLimit();
        _context = new RelayContext(options, limit, registry ?? CreateRegistry(options), onEvent);
        _listener = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (_context.Registry is RedisNameplateRegistry redis)
        {
            redis.ConnectionChanged += up => _context.Emit(new RedisConnectionChanged(up));
        }
    }

    /// <summary>Whether a load balancer should send new clients here (what <c>/readyz</c> answers): not while draining, nor while Redis is unreachable.</summary>
    public bool IsReady => MetricsEndpoint.Readiness(_context).Ready;

    /// <summary>Where it listens, once started (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Nameplates waiting now.</summary>
    public int Waiting => _context.Registry.Waiting;

    /// <summary>Pairs now.</summary>
    public int Pairs => _context.Pairs;

    /// <summary>Open client sockets now.</summary>
    public int Connections => _context.Connections;

    /// <summary>Connections that have not completed their first frame.</summary>
    internal int AwaitingFirstFrame => _context.FirstFrame.Total;

    /// <summary>The shared state, for tests.</summary>
    internal RelayContext Context => _context;

    /// <summary>Binds and starts accepting.</summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local, no permission).</exception>
    /// <exception cref="IOException">The metrics address cannot be bound.</exception>
    public void Start()
    {
        RelayOptions options = _context.Options;
        if (options.EndPoint.AddressFamily == AddressFamily.InterNetworkV6 && options.EndPoint.Address.Equals(IPAddress.IPv6Any))
        {
            _listener.DualMode = true;
        }

        _listener.Bind(options.EndPoint);
        _listener.Listen(1024);
        if (options.MetricsEndPoint is { } metrics)
        {
            _metrics = new MetricsEndpoint(_context, metrics);
        }

        _context.Emit(new RelayStarted(LocalEndPoint.Port, _context.ConnectionCap, _context.MaxWaiting, _context.MaxPairs));
        if (_context.Registry is IRegistryHealth { IsUp: false })
        {
            _context.Emit(new RedisConnectionChanged(Up: false));
        }

        _acceptLoop = AcceptLoopAsync(_stopAccepting.Token);
    }

    /// <summary>
    /// Stops politely: allocations are refused (busy) while claims for the waiters here and the
    /// pairs go on, for at most <paramref name="grace"/> or until none is left; then every socket
    /// closes.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            return;
        }

        _context.Draining = true;
        _context.Emit(new RelayDraining(Waiting, Pairs, grace));
        long start = _context.Time.GetTimestamp();
        try
        {
            while ((Waiting > 0 || Pairs > 0) && _context.Time.GetElapsedTime(start) < grace)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stop at once.
        }

        await StopNowAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => new(StopNowAsync());

    private async Task StopNowAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        int waiting = Waiting;
        int pairs = Pairs;
        _context.Stopped = true;
        _context.Draining = true;
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected.
        }

        _context.CloseAll();
        if (_metrics is not null)
        {
            await _metrics.DisposeAsync().ConfigureAwait(false);
        }

        _context.Refusals.Flush();
        _context.Emit(new RelayStopped(waiting, pairs));
        _context.Dispose();
        _stopAccepting.Dispose();
    }

    private static INameplateRegistry CreateRegistry(RelayOptions options) => options.Redis is { } redis
        ? new RedisNameplateRegistry(redis, options.TimeProvider, options.Limits.NameplateQuarantine)
        : new InMemoryNameplateRegistry(options.TimeProvider, options.Limits.NameplateQuarantine);

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _context.WaitForSlotAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // EMFILE, ENFILE, ENOBUFS: wait for descriptors to come back instead of spinning.
                _context.ReleaseSlot();
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                _context.Emit(new AcceptBackedOff(backoff));
                try
                {
                    await Task.Delay(backoff, _context.Time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }
            catch (SocketException)
            {
                // A connection that died in the backlog.
                _context.ReleaseSlot();
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                _context.ReleaseSlot();
                return;
            }

            backoff = TimeSpan.Zero;
            _ = ConnectionHandler.RunAsync(_context, socket);
        }
    }
}
