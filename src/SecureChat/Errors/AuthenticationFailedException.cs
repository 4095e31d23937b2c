namespace SecureChat;

/// <summary>The peer could not be authenticated, or refused to authenticate us.</summary>
public sealed class AuthenticationFailedException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public AuthenticationFailedException(AuthenticationFailure reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
    }

    /// <summary>What failed.</summary>
    public AuthenticationFailure Reason { get; }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new AuthenticationFailedException(Reason, Message, InnerException);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Authentication;
}

/// <summary>Why authentication failed.</summary>
public enum AuthenticationFailure
{
    /// <summary>The passphrases differ (or the last handshake message was tampered with).</summary>
    WrongPassphrase,

    /// <summary>The responder requires a passphrase and the initiator offered none (REFUSE 2).</summary>
    PassphraseRequired,

    /// <summary>The initiator offered a passphrase the responder does not expect (REFUSE 3).</summary>
    PassphraseNotExpected,

    /// <summary>The initiator's message 3 revealed a nonce that does not match the commitment of its message 1 (docs/PROTOCOL.md §3).</summary>
    CommitmentMismatch,
}
