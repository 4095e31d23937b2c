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
    internal override SecureChatException Copy() => new PeerRefusedException(Code, Message, PeerReason);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Refused;
}

/// <summary>The SCERR codes of the wire protocol (docs/PROTOCOL.md, "Hello").</summary>
public enum RefusalCode : byte
{
    /// <summary>The responder does not speak this protocol version or pattern.</summary>
    UnsupportedVersion = 1,

    /// <summary>The responder wants XXpsk3 and got XX.</summary>
    PassphraseRequired = 2,

    /// <summary>The responder got XXpsk3 and expects no passphrase.</summary>
    NoPassphraseExpected = 3,

    /// <summary>The responder is serving another conversation.</summary>
    Busy = 4,

    /// <summary>The handshake's last message failed: the passphrases differ.</summary>
    AuthenticationFailed = 5,
}
