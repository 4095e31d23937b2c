namespace SecureChat;

/// <summary>
/// A frame failed authentication: tampered, replayed, reordered, or following a dropped frame.
/// Its plaintext never reaches the caller.
/// </summary>
public sealed class IntegrityException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public IntegrityException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new IntegrityException(Message, InnerException);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Integrity;
}
