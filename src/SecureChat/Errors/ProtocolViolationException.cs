namespace SecureChat;

/// <summary>The peer broke the wire protocol: framing, hello, public key, payload or message type.</summary>
public sealed class ProtocolViolationException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolViolationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new ProtocolViolationException(Message, InnerException);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Protocol;
}
