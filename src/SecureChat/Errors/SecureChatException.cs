namespace SecureChat;

/// <summary>
/// The base of every fault caused by the peer or the network (never by the caller, whose mistakes
/// are <see cref="ArgumentException"/>s). A message never contains key material or plaintext.
/// The first fault ends the session: its keys are erased and an exception of the same type and
/// message is thrown from any later call.
/// </summary>
public abstract class SecureChatException : Exception
{
    private protected SecureChatException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>The broad kind of fault, for callers that map faults to exit codes or event names.</summary>
    public abstract SessionFault Fault { get; }

    /// <summary>
    /// True when this failure came after a passphrase or code was put to the test (the initiator
    /// sent message 3, or the responder received it; docs/PROTOCOL.md §8): that attempt is used up
    /// whatever the failure was, and must not be retried automatically with the same secret.
    /// </summary>
    public bool PassphraseAttemptSpent { get; internal set; }

    /// <summary>A new exception of the same type, message and details, for a later caller of a failed session (a stored exception is never rethrown: its stack trace would grow).</summary>
    internal SecureChatException Copy()
    {
        SecureChatException copy = CopyCore();
        copy.PassphraseAttemptSpent = PassphraseAttemptSpent;
        return copy;
    }

    /// <summary>The type-specific part of <see cref="Copy"/>.</summary>
    private protected abstract SecureChatException CopyCore();
}

/// <summary>The kinds of peer fault.</summary>
public enum SessionFault
{
    /// <summary>A frame failed authentication, was replayed, reordered or dropped, or was tampered with.</summary>
    Integrity,

    /// <summary>The peer could not be authenticated: wrong passphrase or passphrase mode mismatch.</summary>
    Authentication,

    /// <summary>The peer broke the wire protocol (bad framing, bad hello, bad public key, bad payload).</summary>
    Protocol,

    /// <summary>The handshake or the connection timed out.</summary>
    Timeout,

    /// <summary>The connection ended without an authenticated CLOSE (which may be a truncation attack).</summary>
    ConnectionLost,

    /// <summary>The peer refused the conversation (busy, unsupported version).</summary>
    Refused,
}
