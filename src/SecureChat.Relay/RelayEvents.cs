using System.Net;

namespace SecureChat.Relay;

/// <summary>
/// What a relay tells its operator (docs/RELAY.md, "What an operator sees"): nameplates, times,
/// byte counts, and addresses only when <see cref="RelayOptions.LogAddresses"/> is on. Never
/// anything a client sent after "paired".
/// </summary>
public abstract record RelayEvent
{
    /// <summary>When it happened (the relay's clock).</summary>
    public DateTimeOffset Time { get; init; }
}

/// <summary>The relay listens.</summary>
/// <param name="Port">The TCP port.</param>
/// <param name="ConnectionCap">The most sockets at once (from the open-file limit).</param>
/// <param name="MaxWaiting">The effective cap on waiting nameplates.</param>
/// <param name="MaxPairs">The effective cap on pairs.</param>
public sealed record RelayStarted(int Port, int ConnectionCap, int MaxWaiting, int MaxPairs) : RelayEvent;

/// <summary>A waiter got a nameplate.</summary>
public sealed record NameplateAllocated(string Nameplate, IPAddress? Address) : RelayEvent;

/// <summary>A claim matched a waiting nameplate: the pair starts.</summary>
public sealed record NameplatePaired(string Nameplate, IPAddress? WaiterAddress, IPAddress? JoinerAddress) : RelayEvent;

/// <summary>A nameplate stopped waiting without a pair.</summary>
/// <param name="Nameplate">The nameplate (quarantined now).</param>
/// <param name="Reason"><c>left</c>, <c>expired</c>, <c>impatient</c> or <c>shutdown</c>.</param>
public sealed record WaiterEnded(string Nameplate, string Reason) : RelayEvent;

/// <summary>A pair ended.</summary>
/// <param name="Nameplate">The nameplate it paired under.</param>
/// <param name="BytesToWaiter">Bytes forwarded from the joiner to the waiter.</param>
/// <param name="BytesToJoiner">Bytes forwarded from the waiter to the joiner.</param>
/// <param name="Duration">From "paired" to the close.</param>
/// <param name="Reason"><c>closed</c>, <c>half-close-timeout</c>, <c>reset</c>, <c>idle</c>, <c>lifetime</c>, <c>stalled</c>, <c>byte-cap</c> or <c>shutdown</c>.</param>
public sealed record PairClosed(string Nameplate, long BytesToWaiter, long BytesToJoiner, TimeSpan Duration, string Reason) : RelayEvent;

/// <summary>The error frames of the last interval, counted by code (sent only when there were some).</summary>
public sealed record RefusalsSummarised(IReadOnlyDictionary<string, long> Counts, TimeSpan Interval) : RelayEvent;

/// <summary>Accepting failed for lack of file descriptors; the relay waits before it tries again.</summary>
public sealed record AcceptBackedOff(TimeSpan Delay) : RelayEvent;

/// <summary>The relay stopped allocating and serves its waiters and pairs for at most <paramref name="Grace"/>.</summary>
public sealed record RelayDraining(int Waiting, int Pairs, TimeSpan Grace) : RelayEvent;

/// <summary>The relay closed every socket.</summary>
public sealed record RelayStopped(int Waiting, int Pairs) : RelayEvent;
