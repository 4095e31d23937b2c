using System.Net;
using SecureChat.Rendezvous;

namespace SecureChat.Relay;

/// <summary>
/// How one relay node runs (docs/RELAY.md, "Running one node"): where it listens, its global
/// caps, the waiting time, and the per-address limits in <see cref="Limits"/>.
/// </summary>
public sealed record RelayOptions
{
    /// <summary>The relay's default TCP port.</summary>
    public const int DefaultPort = 4747;

    /// <summary>Where the relay listens: by default every address, IPv6 and IPv4, port 4747.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.IPv6Any, DefaultPort);

    /// <summary>The most nameplates waiting at once (further capped by the open-file limit).</summary>
    public int MaxWaiting { get; init; } = 10_000;

    /// <summary>The most pairs at once (further capped by the open-file limit: a pair holds two sockets).</summary>
    public int MaxPairs { get; init; } = 10_000;

    /// <summary>How long a nameplate waits for its joiner before the waiter gets <c>timeout</c>.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(RelayControl.DefaultExpiresInSeconds);

    /// <summary>Networks whose clients are not subject to the per-address limits (the global ones still apply).</summary>
    public IReadOnlyList<IPNetwork> Exempt { get; init; } = [];

    /// <summary>Whether events carry the client's address. Off by default: a relay logs no addresses.</summary>
    public bool LogAddresses { get; init; }

    /// <summary>The limits and timeouts; every default is the one docs/RELAY.md lists.</summary>
    public RelayLimits Limits { get; init; } = new();

    /// <summary>The clock of every deadline and timer (a fake one in tests). The rate limiters use the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Redis for a set of nodes (docs/RELAY.md, "Several relay nodes"); null for a single node.</summary>
    public RedisRelayOptions? Redis { get; init; }

    /// <summary>Where <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> are served over HTTP; null for none.</summary>
    public IPEndPoint? MetricsEndPoint { get; init; }

    /// <summary>Checks the values; throws for one that cannot work.</summary>
    /// <exception cref="ArgumentException">A cap is not positive, or a timeout is not positive.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(EndPoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWaiting, 1, nameof(MaxWaiting));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPairs, 1, nameof(MaxPairs));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(WaitTimeout, TimeSpan.Zero, nameof(WaitTimeout));
        ArgumentNullException.ThrowIfNull(Exempt);
        ArgumentNullException.ThrowIfNull(Limits);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        Limits.Validate();
        Redis?.Validate();
    }
}
