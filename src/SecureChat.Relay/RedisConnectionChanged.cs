namespace SecureChat.Relay;

/// <summary>
/// A Redis-backed node lost or regained Redis (docs/RELAY.md, "Several relay nodes"). While it is
/// lost, allocations and claims that need a lookup answer <c>busy</c> and <c>/readyz</c> fails.
/// Sent when the state changes, and once after <see cref="RelayStarted"/> if Redis is not there.
/// </summary>
/// <param name="Up">True when Redis is reachable again.</param>
public sealed record RedisConnectionChanged(bool Up) : RelayEvent;
