using System.Buffers;
using System.Security.Cryptography;
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
internal sealed class TransferManager : IMessageHandler
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

    /// <summary>Hashes a file and offers it to the peer.</summary>
    /// <exception cref="ArgumentException">The path is not a readable regular file (the message says what to do).</exception>
    public async Task<FileOfferSent> OfferAsync(string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ArgumentException($"{path} is a directory: /send sends one file (make an archive of the directory first).", nameof(path));
        }

        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        try
        {
            file = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException(e is FileNotFoundException or DirectoryNotFoundException
                ? $"{path} does not exist: check the path."
                : $"{path} cannot be read: {e.Message}", nameof(path), e);
        }

        OutgoingTransfer? transfer = null;
        try
        {
            long size = RandomAccess.GetLength(file);
            string sha256 = await Task.Run(() => HashFile(file, size, cancellationToken), cancellationToken).ConfigureAwait(false);
            string name = Path.GetFileName(full);
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_ended, this);
                uint id = _nextId;
                _nextId += 2;
                transfer = new OutgoingTransfer(_link, id, file, full, name, size, sha256);
                _outgoing.Add(id, transfer);
            }

            await _link.SendControlAsync(MessageType.FileOffer, FileMessages.Encode(new FileOffer(transfer.Id, name, size, sha256)), cancellationToken).ConfigureAwait(false);
            return new FileOfferSent(transfer.Id, name, size, sha256, full);
        }
        catch
        {
            if (transfer is not null)
            {
                Remove(transfer); // the offer was not delivered; this closes the file too
            }
            else
            {
                file.Dispose();
            }

            throw;
        }
    }

    private static string HashFile(Microsoft.Win32.SafeHandles.SafeFileHandle file, long size, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long position = 0;
            while (position < size)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(file, buffer, position);
                if (read <= 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                position += read;
            }

            if (position != size)
            {
                throw new ArgumentException("The file changed size while it was being read; try again when it is complete.");
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Accepts the peer's offer into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">No offer with this id is waiting, or the directory does not exist.</exception>
    /// <exception cref="TransferLimitException">Too many files are being received, or the file is too large; the offer is still waiting.</exception>
    /// <exception cref="IOException">The file cannot be written there.</exception>
    public async Task AcceptAsync(uint id, string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"The download directory {directory} does not exist: create it, or choose another with --download-dir.", nameof(directory));
        }

        IncomingTransfer transfer;
        lock (_lock)
        {
            transfer = PendingOffer(id);
            if (_activeIncoming >= _maxActiveIncoming)
            {
                throw new TransferLimitException(TransferLimit.TooManyTransfers, _maxActiveIncoming,
                    $"{_maxActiveIncoming} files are already being received (the most at once); wait for one to finish, or cancel one, then accept offer {id}.",
                    $"too many transfers at once (at most {_maxActiveIncoming}): offer it again later");
            }

            if (_maxIncomingSize is long limit && transfer.Size > limit)
            {
                throw new TransferLimitException(TransferLimit.FileTooLarge, limit,
                    $"Offer {id} is {transfer.Size:N0} bytes, more than the limit of {limit:N0} bytes (MaxIncomingFileSize): raise the limit to accept it, or reject it.",
                    $"the file is larger than the receiver accepts (at most {limit:N0} bytes)");
            }

            // The offer now counts among the transfers being received, so no other accept takes its place.
            transfer.HoldsSlot = true;
            _pendingOffers--;
            _activeIncoming++;
        }

        try
        {
            await transfer.AcceptAsync(Path.GetFullPath(directory), checkFreeSpace: _maxIncomingSize is null, cancellationToken).ConfigureAwait(false);
        }
        catch (TransferLimitException)
        {
            WaitAgain(transfer);
            throw;
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, nameof(id), e);
        }
        catch (IOException)
        {
            Retire(transfer);
            throw;
        }
    }

    /// <summary>Refuses the peer's offer.</summary>
    /// <exception cref="ArgumentException">No offer with this id is waiting.</exception>
    public async Task RejectAsync(uint id, string reason, CancellationToken cancellationToken)
    {
        IncomingTransfer transfer;
        lock (_lock)
        {
            transfer = PendingOffer(id);
        }

        if (!transfer.Stop())
        {
            throw new ArgumentException($"Offer {id} is no longer waiting for an answer.", nameof(id));
        }

        Retire(transfer);
        await _link.SendControlAsync(MessageType.FileReject, FileMessages.Encode(new FileReject(id, reason)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops a transfer in either direction and tells the peer.</summary>
    /// <exception cref="ArgumentException">No transfer with this id is running.</exception>
    public async Task CancelAsync(uint id, string reason, CancellationToken cancellationToken)
    {
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
            await _link.SendControlAsync(MessageType.FileCancel, FileMessages.Encode(new FileCancel(id, reason)), cancellationToken).ConfigureAwait(false);
            await _link.PublishAsync(new FileFailed(id, direction, "cancelled here: " + reason)).ConfigureAwait(false);
        }
    }

    /// <summary>The offer <paramref name="id"/>, waiting for an answer and not being accepted (called under the lock).</summary>
    private IncomingTransfer PendingOffer(uint id) =>
        _incoming.TryGetValue(id, out IncomingTransfer? transfer) && transfer.IsOffered && !transfer.HoldsSlot
            ? transfer
            : throw new ArgumentException($"There is no offer {id} waiting for an answer.", nameof(id));

    /// <summary>An accept that hit a limit after taking a slot: the offer waits for an answer again.</summary>
    private void WaitAgain(IncomingTransfer transfer)
    {
        lock (_lock)
        {
            if (transfer.HoldsSlot && transfer.IsOffered && _incoming.TryGetValue(transfer.Id, out IncomingTransfer? current) && current == transfer)
            {
                transfer.HoldsSlot = false;
                _activeIncoming--;
                _pendingOffers++;
            }
        }
    }

    /// <summary>
    /// Takes a finished (or stopping) incoming transfer off the list and out of its count. Called
    /// by whoever ends it, possibly more than once: only the first call counts.
    /// </summary>
    public void Retire(IncomingTransfer transfer)
    {
        lock (_lock)
        {
            if (!_incoming.TryGetValue(transfer.Id, out IncomingTransfer? current) || current != transfer)
            {
                return;
            }

            _incoming.Remove(transfer.Id);
            if (transfer.HoldsSlot)
            {
                _activeIncoming--;
            }
            else
            {
                _pendingOffers--;
            }
        }
    }

    /// <summary>True (and counted) when one more .part may be kept for resuming this session (<see cref="MaxKeptPartFiles"/>).</summary>
    public bool TryKeepPart()
    {
        while (true)
        {
            int kept = Volatile.Read(ref _keptParts);
            if (kept >= MaxKeptPartFiles)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _keptParts, kept + 1, kept) == kept)
            {
                return true;
            }
        }
    }

    /// <summary>File transfer owns 0x10–0x1F (docs/PROTOCOL.md §4).</summary>
    public MessageType FirstType => (MessageType)0x10;

    /// <inheritdoc/>
    public MessageType LastType => (MessageType)0x1F;

    /// <inheritdoc/>
    public SessionEvent? OnMessage(MessageType type, ReadOnlySpan<byte> body) =>
        type == MessageType.FileData
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
                MessageType.FileOffer => OnOffer(FileMessages.ParseOffer(body)),
                MessageType.FileAccept => OnAccept(FileMessages.ParseAccept(body)),
                MessageType.FileReject => OnReject(FileMessages.ParseReject(body)),
                MessageType.FileEnd => OnEnd(FileMessages.ParseEnd(body)),
                MessageType.FileCancel => OnCancel(FileMessages.ParseCancel(body)),
                _ => null,
            };
        }
        catch (InvalidDataException e)
        {
            return new PeerWarning($"The peer sent an invalid file-transfer message ({e.Message}); it was ignored.");
        }
    }

    /// <summary>Offers refused since the last one that was taken (for one warning per burst).</summary>
    private long _refusedInBurst;

    private SessionEvent? OnOffer(FileOffer offer)
    {
        if (!IsPeerId(offer.Id))
        {
            return new PeerWarning($"The peer offered a file with id {offer.Id}, which is not one it may choose; the offer was ignored.");
        }

        lock (_lock)
        {
            if (_ended)
            {
                return null;
            }

            if (_incoming.ContainsKey(offer.Id))
            {
                return new PeerWarning($"The peer offered a file with id {offer.Id}, which is already in use; the offer was ignored.");
            }

            if (_pendingOffers >= MaxPendingOffers)
            {
                _link.EnqueueControl(MessageType.FileReject, FileMessages.Encode(new FileReject(offer.Id, $"too many offers waiting (at most {MaxPendingOffers})")));

                // One warning per burst: a flood of offers must not become a flood of lines.
                return _refusedInBurst++ == 0
                    ? new PeerWarning($"The peer offered more than {MaxPendingOffers} files at once; offer {offer.Id}, and any more until some are answered, are refused.")
                    : null;
            }

            _refusedInBurst = 0;
            var transfer = new IncomingTransfer(_link, this, offer);
            _incoming.Add(offer.Id, transfer);
            _pendingOffers++;
            return new FileOffered(offer.Id, transfer.Name, offer.Size, offer.Sha256Hex);
        }
    }

    private SessionEvent? OnAccept(FileAccept accept)
    {
        OutgoingTransfer? transfer = Outgoing(accept.Id);
        if (transfer is null)
        {
            return new PeerWarning($"The peer accepted file {accept.Id}, which was not offered (or was cancelled); ignored.");
        }

        if (accept.Offset > transfer.Size)
        {
            Remove(transfer);
            _link.EnqueueControl(MessageType.FileCancel, FileMessages.Encode(new FileCancel(accept.Id, "the offset is beyond the end of the file")));
            return new FileFailed(accept.Id, TransferDirection.Outgoing, $"the peer asked to resume at byte {accept.Offset:N0}, beyond the file's {transfer.Size:N0} bytes");
        }

        if (!transfer.Start(accept.Offset))
        {
            return new PeerWarning($"The peer accepted file {accept.Id} twice; ignored.");
        }

        return new FileAccepted(accept.Id, accept.Offset);
    }

    private SessionEvent? OnReject(FileReject reject)
    {
        OutgoingTransfer? transfer = Outgoing(reject.Id);
        if (transfer is null)
        {
            return new PeerWarning($"The peer rejected file {reject.Id}, which was not offered; ignored.");
        }

        Remove(transfer);
        return new FileRejected(reject.Id, reject.Reason);
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

            incoming.OnEnd(); // it leaves the list when the writer has finished with the file
            return null;
        }

        // The receiver confirms: its copy is complete and its SHA-256 matches.
        OutgoingTransfer? transfer = Outgoing(end.Id);
        if (transfer is null || !transfer.Confirm())
        {
            return new PeerWarning($"The peer confirmed file {end.Id}, which was not sent in full; ignored.");
        }

        Remove(transfer);
        return new FileCompleted(end.Id, TransferDirection.Outgoing, transfer.Path, transfer.Sha256, Verified: true, ResumedFrom: transfer.Offset);
    }

    private FileFailed? OnCancel(FileCancel cancel)
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
                ? new FileFailed(cancel.Id, TransferDirection.Incoming, "the sender cancelled: " + cancel.Reason)
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

    /// <summary>
    /// A FILE_DATA body from the read loop: the transfer it belongs to and a pooled copy of its bytes,
    /// or null when it is for a transfer that is over (data in flight when it was cancelled).
    /// </summary>
    public (IncomingTransfer Transfer, byte[] Chunk, int Length)? OnData(ReadOnlySpan<byte> body, out PeerWarning? warning)
    {
        warning = null;
        uint id;
        try
        {
            id = FileMessages.ParseDataId(body);
        }
        catch (InvalidDataException e)
        {
            warning = new PeerWarning($"The peer sent invalid file data ({e.Message}); it was ignored.");
            return null;
        }

        IncomingTransfer? transfer;
        lock (_lock)
        {
            _incoming.TryGetValue(id, out transfer);
        }

        if (transfer is null || !transfer.IsReceiving)
        {
            return null;
        }

        ReadOnlySpan<byte> data = body[FileMessages.DataHeaderSize..];
        byte[] chunk = ArrayPool<byte>.Shared.Rent(Math.Max(1, data.Length));
        data.CopyTo(chunk);
        return (transfer, chunk, data.Length);
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
            _link.TryPublish(evt);
        }
    }

    private OutgoingTransfer? Outgoing(uint id)
    {
        lock (_lock)
        {
            return _outgoing.GetValueOrDefault(id);
        }
    }

    private void Remove(OutgoingTransfer transfer)
    {
        lock (_lock)
        {
            _outgoing.Remove(transfer.Id);
        }

        transfer.Dispose();
    }
}
