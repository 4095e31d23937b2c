namespace SecureChat.Rendezvous;

/// <summary>
/// A relay control message (docs/RELAY.md): one UTF-8 JSON object in a frame of kind 0x10. Client
/// requests carry "op", relay answers "status". Relay messages are unauthenticated: a client treats
/// the relay as an attacker who may answer in the peer's place.
/// </summary>
public abstract record RelayMessage;

/// <summary>{"op":"allocate"}: the waiting side asks for a nameplate.</summary>
public sealed record RelayAllocate : RelayMessage;

/// <summary>{"op":"claim","nameplate":"17"}: the joining side claims a waiting nameplate.</summary>
public sealed record RelayClaim(string Nameplate) : RelayMessage;

/// <summary>{"status":"allocated","nameplate":"17","expires_in":600}.</summary>
public sealed record RelayAllocated(string Nameplate, int ExpiresInSeconds) : RelayMessage;

/// <summary>{"status":"paired"}: from now on the relay forwards bytes verbatim.</summary>
public sealed record RelayPaired : RelayMessage;

/// <summary>{"status":"error","code":C,"message":M}.</summary>
public sealed record RelayError(string Code, string Message) : RelayMessage;

/// <summary>{"status":"redirect","address":"host:port"}: reconnect there and claim again (at most once).</summary>
public sealed record RelayRedirect(string Address) : RelayMessage;

/// <summary>The error codes of a relay (docs/RELAY.md).</summary>
public static class RelayErrorCodes
{
    /// <summary>A malformed or oversized control frame, an unknown op, a bad nameplate.</summary>
    public const string BadRequest = "bad-request";

    /// <summary>Nobody waits under that nameplate (none, used, or expired).</summary>
    public const string UnknownNameplate = "unknown-nameplate";

    /// <summary>Limits reached, Redis unreachable, or the relay is draining (checked before a nameplate is consumed).</summary>
    public const string Busy = "busy";

    /// <summary>Too many requests from this address.</summary>
    public const string RateLimited = "rate-limited";

    /// <summary>The first frame did not arrive within 10 s, or the wait for a peer expired.</summary>
    public const string Timeout = "timeout";

    /// <summary>The waiter sent a frame before "paired".</summary>
    public const string Impatient = "impatient";

    /// <summary>Every code above.</summary>
    public static IReadOnlyList<string> All { get; } = [BadRequest, UnknownNameplate, Busy, RateLimited, Timeout, Impatient];
}
