namespace SecureChat;

/// <summary>The handshake did not finish in time, or nothing arrived from the peer for too long.</summary>
public sealed class SessionTimeoutException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public SessionTimeoutException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new SessionTimeoutException(Message, InnerException);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Timeout;
}
