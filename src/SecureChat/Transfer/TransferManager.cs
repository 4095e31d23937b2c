using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// The file transfers of one session (docs/PROTOCOL.md §4.1), in both directions. Transfer ids are
/// chosen by the sender: odd for the connecting side, even for the listener, so an id alone says
/// which way its file travels. Every message from the peer is validated; an invalid one is
/// reported and ignored, never fatal to the session.
/// </summary>
/// <remarks>
/// Limits on what the peer can make this side hold: <see cref="MaxPendingOffers"/> offers waiting,
/// <see cref="SessionOptions.MaxActiveIncomingTransfers"/> files being received (one file descriptor
/// each), <see cref="SessionOptions.MaxIncomingFileSize"/> (or the free space) per file, and
/// <see cref="MaxKeptPartFiles"/> .part files left behind. Counts are kept as transfers come and
/// go, and a transfer leaves the list when it finishes, so no message scans the list.
/// </remarks>
internal sealed partial class TransferManager : IMessageHandler
{
    /// <summary>Offers from the peer waiting for an answer at once; more are refused.</summary>
    public const int MaxPendingOffers = 64;

    /// <summary>
    /// Incoming transfers of one session that may stop early and leave their .part (with bytes that
    /// arrived in this session) for a later offer to resume. Past this, the .part and .meta of a
    /// transfer that fails or is cancelled are deleted, so a peer that starts and cancels file after
    /// file cannot fill the directory. A .part holding nothing is always deleted.
    /// </summary>
    public const int MaxKeptPartFiles = 8;

    /// <summary>With no MaxIncomingFileSize, a file must leave this much free space in the download directory: 64 MiB.</summary>
    public const long FreeSpaceMargin = 64L << 20;

    private readonly ISessionLink _link;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, OutgoingTransfer> _outgoing = [];
    private readonly Dictionary<uint, IncomingTransfer> _incoming = [];
    private readonly int _maxActiveIncoming;
    private readonly long? _maxIncomingSize;
    private uint _nextId;
    private bool _ended;
    private int _pendingOffers; // incoming offers waiting for an answer (in _incoming, HoldsSlot false)
    private int _activeIncoming; // incoming transfers accepted and not finished (in _incoming, HoldsSlot true)
    private int _keptParts;

    public TransferManager(ISessionLink link)
    {
        _link = link;
        _nextId = link.IsInitiator ? 1u : 2u;
        _maxActiveIncoming = link.Options.MaxActiveIncomingTransfers;
        _maxIncomingSize = link.Options.MaxIncomingFileSize;
    }

    /// <summary>
    /// Stops a transfer in either direction and tells the peer. Once the transfer is stopped the
    /// peer is always told (the send is bounded by the write time limit, not by the token), and
    /// this call never waits for the application to read its events.
    /// </summary>
    /// <exception cref="ArgumentException">No transfer with this id is running.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything was stopped.</exception>
    public async Task CancelAsync(uint id, string reason, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        OutgoingTransfer? outgoing;
        IncomingTransfer? incoming = null;
        lock (_lock)
        {
            if (!_outgoing.Remove(id, out outgoing) && !_incoming.TryGetValue(id, out incoming))
            {
                throw new ArgumentException($"There is no transfer {id}.", nameof(id));
            }
        }

        bool stopped;
        TransferDirection direction;
        if (outgoing is not null)
        {
            stopped = outgoing.Stop();
            outgoing.Dispose();
            direction = TransferDirection.Outgoing;
        }
        else
        {
            Retire(incoming!);
            stopped = incoming!.Stop();
            direction = TransferDirection.Incoming;
        }

        if (stopped)
        {
            await _link.CancelAndReportAsync(id, reason, new FileFailed(id, direction, "cancelled here: " + reason), waitForRoom: false).ConfigureAwait(false);
        }
    }

    /// <summary>File transfer owns 0x10–0x1F (docs/PROTOCOL.md §4).</summary>
    public MessageType FirstType => FileMessageType.First;

    /// <inheritdoc/>
    public MessageType LastType => FileMessageType.Last;

    /// <inheritdoc/>
    public SessionEvent? OnMessage(MessageType type, ReadOnlySpan<byte> body) =>
        type == FileMessageType.Data
            ? OnData(body, out PeerWarning? warning) is { } data ? new FileChunk(data.Transfer, data.Chunk, data.Length) : warning
            : OnControl(type, body);

    /// <inheritdoc/>
    public void OnSessionEnded(bool faulted) =>
        End(faulted ? "the connection was lost before the transfer finished" : "the chat ended before the transfer finished");

    /// <summary>True when <paramref name="id"/> is one the peer may choose (odd from the connecting side, even from the listener).</summary>
    private bool IsPeerId(uint id) => (id % 2 == 1) != _link.IsInitiator;

    /// <summary>
    /// A file-transfer control message from the peer (called by the read loop). Returns the event
    /// to deliver, if any. Invalid messages become a <see cref="PeerWarning"/> and are otherwise ignored.
    /// </summary>
    public SessionEvent? OnControl(MessageType type, ReadOnlySpan<byte> body)
    {
        try
        {
            return type switch
            {
                FileMessageType.Offer => OnOffer(FileMessages.ParseOffer(body)),
                FileMessageType.Accept => OnAccept(FileMessages.ParseAccept(body)),
                FileMessageType.Reject => OnReject(FileMessages.ParseReject(body)),
                FileMessageType.End => OnEnd(FileMessages.ParseEnd(body)),
                FileMessageType.Cancel => OnCancel(FileMessages.ParseCancel(body)),
                FileMessageType.Restart => OnRestart(FileMessages.ParseRestart(body)),
                _ => null,
            };
        }
        catch (InvalidDataException e)
        {
            return new PeerWarning($"The peer sent an invalid file-transfer message ({e.Message}); it was ignored.");
        }
    }

    private SessionEvent? OnEnd(FileEnd end)
    {
        if (IsPeerId(end.Id))
        {
            // The sender has sent everything: the writer checks the hash and reports.
            IncomingTransfer? incoming;
            lock (_lock)
            {
                _incoming.TryGetValue(end.Id, out incoming);
            }

            if (incoming is null || !incoming.IsReceiving)
            {
                return incoming is null ? new PeerWarning($"The peer ended file {end.Id}, which is not being received; ignored.") : null;
            }

            incoming.OnEnd(end.Sha256Hex); // it leaves the list when the writer has finished with the file
            return null;
        }

        // The receiver confirms: its copy is complete and its SHA-256 matches.
        OutgoingTransfer? transfer = Outgoing(end.Id);
        if (transfer is null || !transfer.Confirm())
        {
            return new PeerWarning($"The peer confirmed file {end.Id}, which was not sent in full; ignored.");
        }

        Remove(transfer);
        // Confirm() succeeded, so all our data was queued and our hash computed (our FILE_END with
        // it is sealed or about to be). A hash in the receiver's FILE_END means nothing and is ignored.
        return new FileCompleted(end.Id, TransferDirection.Outgoing, transfer.Path, transfer.Sha256!, Verified: true, ResumedFrom: transfer.Offset);
    }

    /// <summary>The sender's answer to our resumed accept: our .part is not its file's start.</summary>
    private PeerWarning OnRestart(FileRestart restart)
    {
        IncomingTransfer? incoming = null;
        if (IsPeerId(restart.Id))
        {
            lock (_lock)
            {
                _incoming.TryGetValue(restart.Id, out incoming);
            }
        }

        return incoming is not null && incoming.TryRestart()
            ? new PeerWarning($"The .part of file {restart.Id} was not the start of the offered file; it is received again from the start.")
            : new PeerWarning($"The peer restarted file {restart.Id}, which is not a resumed transfer waiting for its first data; ignored.");
    }

    private SessionEvent? OnCancel(FileCancel cancel)
    {
        if (IsPeerId(cancel.Id))
        {
            IncomingTransfer? incoming;
            lock (_lock)
            {
                _incoming.TryGetValue(cancel.Id, out incoming);
            }

            if (incoming is not null)
            {
                Retire(incoming);
            }

            return incoming is not null && incoming.Stop()
                ? new IncomingFailure(incoming, new FileFailed(cancel.Id, TransferDirection.Incoming, "the sender cancelled: " + cancel.Reason))
                : null;
        }

        OutgoingTransfer? transfer = Outgoing(cancel.Id);
        if (transfer is null)
        {
            return null; // already over on this side
        }

        Remove(transfer);
        return new FileFailed(cancel.Id, TransferDirection.Outgoing, "the receiver cancelled: " + cancel.Reason);
    }

    /// <summary>The session ended: every transfer stops (incoming .part files with bytes in them are kept for resuming).</summary>
    public void End(string reason)
    {
        List<SessionEvent> failed = [];
        List<OutgoingTransfer> outgoing;
        List<IncomingTransfer> incoming;
        lock (_lock)
        {
            _ended = true;
            outgoing = [.. _outgoing.Values];
            incoming = [.. _incoming.Values];
            _outgoing.Clear();
            _incoming.Clear();
            _pendingOffers = 0;
            _activeIncoming = 0;
        }

        foreach (OutgoingTransfer transfer in outgoing)
        {
            if (transfer.Stop())
            {
                failed.Add(new FileFailed(transfer.Id, TransferDirection.Outgoing, reason));
            }

            transfer.Dispose();
        }

        foreach (IncomingTransfer transfer in incoming)
        {
            if (transfer.Stop())
            {
                failed.Add(new FileFailed(transfer.Id, TransferDirection.Incoming, reason + "; what arrived is kept in a .part file, and the next offer of the same file resumes from it"));
            }
        }

        foreach (SessionEvent evt in failed)
        {
            _link.PublishAtEnd(evt);
        }
    }
}
