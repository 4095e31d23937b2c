using SecureChat.Transfer;

namespace SecureChat.Session;

/// <summary>
/// The public face of file transfer (docs/PROTOCOL.md §4.1) on the session: offers, answers and data
/// travel as ordinary transport messages, so every FILE_DATA frame has a key of its own like any
/// text, and a text sent during a transfer waits for one write of at most 8 frames. The work is done by the
/// session's <see cref="TransferManager"/>, registered in <see cref="SessionFeatures"/>; this file
/// lives with the feature, not in Session/.
/// </summary>
public sealed partial class SecureChatSession : IFileTransfers
{
    /// <summary>
    /// Offers a file to the peer at once, without its hash: the SHA-256 is computed while the data is sent.
    /// The data follows when the peer accepts (<see cref="FileAccepted"/>, <see cref="FileProgress"/>,
    /// then <see cref="FileCompleted"/> once the peer has verified its copy, or <see cref="FileFailed"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The path is a directory, does not exist or cannot be read; nothing was sent.</exception>
    /// <exception cref="SecureChatException">The session has failed.</exception>
    /// <exception cref="InvalidOperationException">The session was closed.</exception>
    public async ValueTask<FileOfferSent> SendFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ThrowIfFaulted();
        return await Transfers.OfferAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Accepts the peer's offer <paramref name="id"/> into <paramref name="directory"/>: the data goes
    /// to NAME.part (resuming from a previous attempt's .part when the same peer — the same identity
    /// key — left it and it is the start of the same file), and becomes
    /// NAME — or NAME (1), NAME (2)…, never overwriting — once its SHA-256 matches the offer.
    /// </summary>
    /// <exception cref="ArgumentException">No such offer is waiting, or the directory does not exist.</exception>
    /// <exception cref="TransferLimitException">
    /// <see cref="SessionOptions.MaxActiveIncomingTransfers"/> files are already being received, or the file is
    /// larger than <see cref="SessionOptions.MaxIncomingFileSize"/> (by default: than the directory's free space
    /// minus 64 MiB). Nothing was sent: the offer is still waiting, to be refused (with the exception's
    /// <see cref="TransferLimitException.PeerReason"/>) or accepted later.
    /// </exception>
    /// <exception cref="IOException">The file cannot be written in that directory (the peer is told).</exception>
    public async ValueTask AcceptFileAsync(uint id, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ThrowIfFaulted();
        try
        {
            await Transfers.AcceptAsync(id, directory, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            ThrowIfFaulted(); // the session failed while the offer was being accepted: that is the reason
            throw;
        }
    }

    /// <summary>Refuses the peer's offer <paramref name="id"/>; nothing is written.</summary>
    /// <exception cref="ArgumentException">No such offer is waiting.</exception>
    public async ValueTask RejectFileAsync(uint id, string reason = "rejected", CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        await Transfers.RejectAsync(id, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops transfer <paramref name="id"/> in either direction and tells the peer. An incoming .part is
    /// kept for resuming when bytes arrived (at most 8 such per session); otherwise it is deleted. A
    /// <see cref="FileFailed"/> ("cancelled here") follows among the events. Never waits for the
    /// application to read its events, so it may be called from the event loop.
    /// </summary>
    /// <exception cref="ArgumentException">No such transfer is running.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything was stopped (the transfer goes on).</exception>
    public async ValueTask CancelFileAsync(uint id, string reason = "cancelled", CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        await Transfers.CancelAsync(id, reason, cancellationToken).ConfigureAwait(false);
    }

    private TransferManager Transfers => Handler<TransferManager>();
}
