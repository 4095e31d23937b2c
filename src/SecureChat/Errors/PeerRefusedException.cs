namespace SecureChat;

/// <summary>The responder refused the conversation with an SCERR frame (busy, unsupported version).</summary>
public sealed class PeerRefusedException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public PeerRefusedException(RefusalCode code, string message, string peerReason)
        : base(message)
    {
        Code = code;
        PeerReason = peerReason;
    }

    /// <summary>The SCERR code.</summary>
    public RefusalCode Code { get; }

    /// <summary>The reason text the peer sent. Hostile input: sanitise it before printing.</summary>
    public string PeerReason { get; }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new PeerRefusedException(Code, Message, PeerReason);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Refused;
}

/// <summary>The SCERR codes of the wire protocol (docs/PROTOCOL.md, "Hello").</summary>
public enum RefusalCode : byte
{
    /// <summary>The responder does not speak this protocol version or pattern.</summary>
    UnsupportedVersion = 1,

    /// <summary>The responder wants the PSK mode and got XX.</summary>
    PassphraseRequired = 2,

    /// <summary>The responder got the PSK mode and expects no passphrase.</summary>
    NoPassphraseExpected = 3,

    /// <summary>The responder is serving another conversation.</summary>
    Busy = 4,

    /// <summary>Message 3 failed: the passphrases or codes differ (or the session-code commitment did not match).</summary>
    AuthenticationFailed = 5,

    /// <summary>The responder's policy rejected the initiator's identity (sent after message 3).</summary>
    NotAuthorized = 6,

    /// <summary>The initiator's policy rejected the responder's identity (sent after message 2, instead of message 3).</summary>
    KeyMismatch = 7,
}
