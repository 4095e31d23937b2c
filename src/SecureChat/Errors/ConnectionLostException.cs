namespace SecureChat;

/// <summary>
/// The connection ended without an authenticated CLOSE. This is never a clean end: it may be a
/// network failure or an attacker truncating the conversation.
/// </summary>
public sealed class ConnectionLostException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionLostException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new ConnectionLostException(Message, InnerException);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.ConnectionLost;
}
