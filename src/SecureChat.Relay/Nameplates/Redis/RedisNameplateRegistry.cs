using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace SecureChat.Relay.Nameplates.Redis;

/// <summary>
/// The nameplates of a set of relay nodes, in one Redis (docs/RELAY.md, "Several relay nodes").
/// A waiter's nameplate is the key <c>sc:np:&lt;n&gt;</c> = <c>node_id|advertise|seq</c> with a
/// lease (PX, 30 s) that this node refreshes every 10 s for all its waiters in one batched script;
/// after pairing or leaving the key becomes <c>used</c> for the quarantine (60 s). The node id is
/// random per process start, so a restarted node at the same address treats its predecessor's keys
/// as stale. Small nameplates come from a bitmap (<see cref="RedisScripts.AllocateSmall"/>), larger
/// ones from the CSPRNG with SET NX. A claim for a nameplate this node holds pairs here and never
/// redirects; any other is looked up (<see cref="RedisScripts.Claim"/>). With Redis unreachable,
/// allocations and lookups answer busy; waiters and pairs held here go on, and tombstones that
/// could not be written are retried with the next refresh (RedisNameplateRegistry.Leases.cs).
/// </summary>
internal sealed partial class RedisNameplateRegistry : INameplateRegistry, IRegistryHealth
{
    private const int SmallMax = 999;
    private const int RefreshBatch = 500;

    private readonly RedisRelayOptions _options;
    private readonly TimeSpan _used;
    private readonly ConnectionMultiplexer _redis;
    private readonly ConcurrentDictionary<int, Held> _held = new();
    private readonly ConcurrentDictionary<int, string> _pendingUsed = new();
    private readonly ITimer _refreshTimer;
    private readonly ITimer _sweepTimer;
    private int _refreshing;
    private int _sweeping;
    private long _seq;
    private int _allocating;
    private int _disposed;
    private int _reportedUp = -1;

    /// <summary>Connects (without waiting for Redis: it may come later) and starts the refresh and sweep timers.</summary>
    public RedisNameplateRegistry(RedisRelayOptions options, TimeProvider time, TimeSpan used)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _used = used;
        NodeId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        int timeout = (int)options.Timeout.TotalMilliseconds;
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = timeout,
            SyncTimeout = timeout,
            AsyncTimeout = timeout,
            ConnectRetry = 1,
            KeepAlive = 5,
            ReconnectRetryPolicy = new LinearRetry(timeout),
            Password = options.Password,
            ClientName = "securechat-relay",
        };
        config.EndPoints.Add(options.EndPoint);
        _redis = ConnectionMultiplexer.Connect(config);
        _redis.ConnectionFailed += (_, _) => Report(up: false);
        _redis.ConnectionRestored += (_, _) => Report(up: true);
        Volatile.Write(ref _reportedUp, _redis.IsConnected ? 1 : 0);
        _refreshTimer = time.CreateTimer(static s => _ = ((RedisNameplateRegistry)s!).RefreshAsync(), this, options.Refresh, options.Refresh);
        _sweepTimer = time.CreateTimer(static s => _ = ((RedisNameplateRegistry)s!).SweepAsync(), this, options.Sweep, options.Sweep);
    }

    /// <summary>Redis was lost or regained (raised on a change only, from a Redis client thread).</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>This process's random node id.</summary>
    public string NodeId { get; }

    /// <inheritdoc/>
    public bool IsUp => _redis.IsConnected;

    /// <inheritdoc/>
    public int Waiting => _held.Count;

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc/>
    public async ValueTask<int?> AllocateAsync(Waiter waiter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (!IsUp)
        {
            return null;
        }

        string value = string.Create(CultureInfo.InvariantCulture, $"{NodeId}|{_options.Advertise}|{Interlocked.Increment(ref _seq)}");
        Interlocked.Increment(ref _allocating);
        try
        {
            long small = (long)await Db.ScriptEvaluateAsync(
                RedisScripts.AllocateSmall,
                [RedisScripts.SmallBitmap],
                [RedisScripts.KeyPrefix, value, LeaseMs, SmallMax]).ConfigureAwait(false);
            int? nameplate = small > 0 ? (int)small : null;
            for (int i = 0; nameplate is null && i < NameplateOrder.RandomAttempts; i++)
            {
                int n = RandomNumberGenerator.GetInt32(SmallMax + 1, NameplateOrder.Max + 1);
                if (await Db.StringSetAsync(Key(n), value, _options.Lease, When.NotExists).ConfigureAwait(false))
                {
                    nameplate = n;
                }
            }

            if (nameplate is { } taken)
            {
                waiter.Nameplate = taken;
                _held[taken] = new Held(waiter, value);
            }

            return nameplate;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref _allocating);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ClaimOutcome> ClaimAsync(int nameplate, Func<Waiter, bool> admit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admit);
        if (_held.TryGetValue(nameplate, out Held? held))
        {
            // Ours: pair here whatever Redis says (a node holding a waiter under n never redirects n).
            Waiter waiter = held.Waiter;
            if (!waiter.IsOpen)
            {
                return new ClaimOutcome(ClaimResult.Unknown);
            }

            if (!admit(waiter))
            {
                return new ClaimOutcome(ClaimResult.Busy);
            }

            if (!waiter.TryPair())
            {
                return new ClaimOutcome(ClaimResult.Unknown);
            }

            _held.TryRemove(new KeyValuePair<int, Held>(nameplate, held));
            await MarkUsedAsync(nameplate, held.Value).ConfigureAwait(false);
            return new ClaimOutcome(ClaimResult.Paired, waiter);
        }

        if (!IsUp)
        {
            return new ClaimOutcome(ClaimResult.Busy);
        }

        try
        {
            var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Claim, [Key(nameplate)], [NodeId, _options.Advertise, Volatile.Read(ref _allocating) == 0 ? "1" : "0"]).ConfigureAwait(false))!;
            return (string?)answer[0] == "redirect"
                ? new ClaimOutcome(ClaimResult.Redirect, RedirectAddress: (string?)answer[1])
                : new ClaimOutcome(ClaimResult.Unknown);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            return new ClaimOutcome(ClaimResult.Busy);
        }
    }

    /// <inheritdoc/>
    public async ValueTask ReleaseAsync(Waiter waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (_held.TryGetValue(waiter.Nameplate, out Held? held) && ReferenceEquals(held.Waiter, waiter)
            && _held.TryRemove(new KeyValuePair<int, Held>(waiter.Nameplate, held)))
        {
            await MarkUsedAsync(waiter.Nameplate, held.Value).ConfigureAwait(false);
        }
    }

    /// <summary>A node that dies: stops refreshing and drops the connection without releasing anything (tests).</summary>
    internal void Crash()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _refreshTimer.Dispose();
        _sweepTimer.Dispose();
        _held.Clear();
        _redis.Dispose();
    }

    /// <summary>Releases the keys of the waiters still held (they become <c>used</c>), then disconnects.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _refreshTimer.Dispose();
        _sweepTimer.Dispose();
        foreach ((int n, Held held) in _held)
        {
            _pendingUsed[n] = held.Value;
        }

        _held.Clear();
        if (_redis.IsConnected)
        {
            foreach ((int n, string value) in _pendingUsed)
            {
                try
                {
                    Db.ScriptEvaluate(RedisScripts.MarkUsed, [Key(n)], [value, UsedMs]);
                }
                catch (Exception e) when (IsRedisFailure(e))
                {
                    break;
                }
            }
        }

        _redis.Dispose();
    }

    private long LeaseMs => (long)_options.Lease.TotalMilliseconds;

    private long UsedMs => (long)_used.TotalMilliseconds;

    private static RedisKey Key(int nameplate) => string.Create(CultureInfo.InvariantCulture, $"{RedisScripts.KeyPrefix}{nameplate}");

    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    private sealed record Held(Waiter Waiter, string Value);
}
