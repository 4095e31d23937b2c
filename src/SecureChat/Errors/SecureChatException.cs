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
    /// A fresh exception of the same type, message, inner exception and details, for a later caller
    /// of a session that has failed. Throwing one stored exception object again and again would
    /// let its stack trace grow with every rethrow (and race between threads).
    /// </summary>
    internal abstract SecureChatException Copy();
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
