namespace SecureChat;

/// <summary>
/// Accepting the peer's offer would go beyond a limit of <see cref="Session.SessionOptions"/>. Nothing
/// was written and nothing was sent: the offer is still waiting, to be accepted later or refused with
/// <see cref="PeerReason"/>.
/// </summary>
public sealed class TransferLimitException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TransferLimitException(TransferLimit limit, long allowed, string message, string peerReason)
        : base(message)
    {
        Limit = limit;
        Allowed = allowed;
        PeerReason = peerReason;
    }

    /// <summary>Which limit the offer meets.</summary>
    public TransferLimit Limit { get; }

    /// <summary>
    /// The limit's value: files received at once (<see cref="TransferLimit.TooManyTransfers"/>), or
    /// bytes (<see cref="TransferLimit.FileTooLarge"/>: the size limit; <see cref="TransferLimit.NotEnoughSpace"/>:
    /// the free space left after the margin).
    /// </summary>
    public long Allowed { get; }

    /// <summary>Why, in words fit to send to the peer with a refusal (no local path, no free-space figure).</summary>
    public string PeerReason { get; }
}

/// <summary>The limits on incoming files (<see cref="Session.SessionOptions"/>).</summary>
public enum TransferLimit
{
    /// <summary><see cref="Session.SessionOptions.MaxActiveIncomingTransfers"/> files are already being received.</summary>
    TooManyTransfers,

    /// <summary>The file is larger than <see cref="Session.SessionOptions.MaxIncomingFileSize"/>.</summary>
    FileTooLarge,

    /// <summary>
    /// No <see cref="Session.SessionOptions.MaxIncomingFileSize"/> is set and the file is larger than
    /// the download directory's free space minus a margin of 64 MiB.
    /// </summary>
    NotEnoughSpace,
}
