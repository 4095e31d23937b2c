namespace SecureChat.Relay;

/// <summary>
/// A Redis-backed set of relay nodes (docs/RELAY.md, "Several relay nodes"): where Redis is, the
/// address clients are redirected to for this node's waiters, and the lease timings. Every node
/// of a set points at the same Redis (with <c>maxmemory-policy noeviction</c>: an evicted lease
/// would hand a waiting nameplate to someone else).
/// </summary>
public sealed record RedisRelayOptions
{
    /// <summary>Redis as <c>host:port</c>.</summary>
    public required string EndPoint { get; init; }

    /// <summary>This node as clients reach it, <c>host:port</c>: the address in a redirect to it.</summary>
    public required string Advertise { get; init; }

    /// <summary>Redis's password (from SECURECHAT_REDIS_PASSWORD or a file, never the command line), or null.</summary>
    public string? Password { get; init; }

    /// <summary>How long a waiting nameplate's key lives without a refresh (30 s).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this node refreshes the leases of its waiters (10 s).</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the small-nameplate bitmap is swept of bits whose key is gone (30 s).</summary>
    public TimeSpan Sweep { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connect and command timeout (1 s): past it the relay answers <c>busy</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">An empty address, or a time that is not positive, or a refresh not shorter than the lease.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(EndPoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(Advertise);
        if (Advertise.Contains('|', StringComparison.Ordinal))
        {
            throw new ArgumentException("The advertised address cannot contain '|'.", nameof(Advertise));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Refresh, TimeSpan.Zero, nameof(Refresh));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Lease, Refresh, nameof(Lease));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Sweep, TimeSpan.Zero, nameof(Sweep));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
    }
}
