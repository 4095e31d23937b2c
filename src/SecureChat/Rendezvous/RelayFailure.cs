namespace SecureChat.Rendezvous;

/// <summary>Why a relay could not bring the two sides together.</summary>
public enum RelayFailure
{
    /// <summary>The relay's name did not resolve, or no address of it accepted a connection.</summary>
    Unreachable,

    /// <summary>The relay did not answer in time, or it says the wait (or the first frame) timed out.</summary>
    Timeout,

    /// <summary>The relay refused: busy, rate-limited, bad request or impatient (see <see cref="RelayException.RelayCode"/>).</summary>
    Refused,

    /// <summary>Nobody waits under the nameplate (none, already used, or expired).</summary>
    UnknownNameplate,

    /// <summary>The relay closed the connection before it paired us.</summary>
    Closed,

    /// <summary>The relay sent something the protocol does not allow (malformed, oversized, or out of order).</summary>
    ProtocolViolation,

    /// <summary>A redirect that is not followed: a second one, a bad address, or a private address from a public relay.</summary>
    RedirectRefused,
}
