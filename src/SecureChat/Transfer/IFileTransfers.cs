using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// A conversation that can carry files (the default <see cref="SecureChatSession"/>). The progress
/// of a transfer arrives as events from <see cref="IChatSession.ReceiveAsync"/>: <see cref="FileOffered"/>,
/// <see cref="FileAccepted"/>, <see cref="FileRejected"/>, <see cref="FileProgress"/>,
/// <see cref="FileCompleted"/>, <see cref="FileFailed"/>.
/// </summary>
public interface IFileTransfers
{
    /// <summary>Offers a file to the peer; the data follows when the peer accepts.</summary>
    /// <exception cref="ArgumentException">The path is a directory, does not exist or cannot be read; nothing was sent.</exception>
    /// <exception cref="SecureChatException">The session has failed.</exception>
    /// <exception cref="InvalidOperationException">The session was closed.</exception>
    ValueTask<FileOfferSent> SendFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Accepts the peer's offer <paramref name="id"/> into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">No such offer is waiting, or the directory does not exist.</exception>
    /// <exception cref="TransferLimitException">A limit on incoming files refuses it; the offer is still waiting.</exception>
    /// <exception cref="IOException">The file cannot be written in that directory (the peer is told).</exception>
    ValueTask AcceptFileAsync(uint id, string directory, CancellationToken cancellationToken = default);

    /// <summary>Refuses the peer's offer <paramref name="id"/>; nothing is written.</summary>
    /// <exception cref="ArgumentException">No such offer is waiting.</exception>
    ValueTask RejectFileAsync(uint id, string reason = "rejected", CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops transfer <paramref name="id"/> in either direction and tells the peer; a
    /// <see cref="FileFailed"/> ("cancelled here") follows among the events. Never waits for the
    /// application to read its events, so it may be called from the event loop.
    /// </summary>
    /// <exception cref="ArgumentException">No such transfer is running.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything was stopped (the transfer goes on).</exception>
    ValueTask CancelFileAsync(uint id, string reason = "cancelled", CancellationToken cancellationToken = default);
}
