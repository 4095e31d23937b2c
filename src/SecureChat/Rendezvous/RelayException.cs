namespace SecureChat.Rendezvous;

/// <summary>
/// The relay (docs/RELAY.md) could not pair this side with its peer. Relay messages are not
/// authenticated: <see cref="RelayMessageText"/> is what the relay claims and must be sanitised
/// before it is shown. The message never contains the code's words.
/// </summary>
public sealed class RelayException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RelayException(RelayFailure reason, string message, string? relayCode = null, string? relayMessageText = null, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        RelayCode = relayCode;
        RelayMessageText = relayMessageText;
    }

    /// <summary>What went wrong.</summary>
    public RelayFailure Reason { get; }

    /// <summary>The relay's error code (<see cref="RelayErrorCodes"/>), when it sent one.</summary>
    public string? RelayCode { get; }

    /// <summary>The relay's own words (unauthenticated, unsanitised), when it sent an error.</summary>
    public string? RelayMessageText { get; }
}
