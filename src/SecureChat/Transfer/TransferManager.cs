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
internal sealed class TransferManager
{
    /// <summary>Offers from the peer waiting for an answer at once; more are refused.</summary>
    public const int MaxPendingOffers = 64;

    private readonly ITransferLink _link;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, OutgoingTransfer> _outgoing = [];
    private readonly Dictionary<uint, IncomingTransfer> _incoming = [];
    private uint _nextId;
    private bool _ended;

    public TransferManager(ITransferLink link)
    {
        _link = link;
        _nextId = link.IsInitiator ? 1u : 2u;
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
    /// <exception cref="IOException">The file cannot be written there.</exception>
    public async Task AcceptAsync(uint id, string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"The download directory {directory} does not exist: create it, or choose another with --download-dir.", nameof(directory));
        }

        IncomingTransfer transfer = PendingOffer(id);
        try
        {
            await transfer.AcceptAsync(Path.GetFullPath(directory), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, nameof(id), e);
        }
        catch (IOException)
        {
            Forget(id);
            throw;
        }
    }

    /// <summary>Refuses the peer's offer.</summary>
    /// <exception cref="ArgumentException">No offer with this id is waiting.</exception>
    public async Task RejectAsync(uint id, string reason, CancellationToken cancellationToken)
    {
        IncomingTransfer transfer = PendingOffer(id);
        if (!transfer.Stop())
        {
            throw new ArgumentException($"Offer {id} is no longer waiting for an answer.", nameof(id));
        }

        Forget(id);
        await _link.SendControlAsync(MessageType.FileReject, FileMessages.Encode(new FileReject(id, reason)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops a transfer in either direction and tells the peer.</summary>
    /// <exception cref="ArgumentException">No transfer with this id is running.</exception>
    public async Task CancelAsync(uint id, string reason, CancellationToken cancellationToken)
    {
        bool stopped;
        TransferDirection direction;
        lock (_lock)
        {
            if (_outgoing.Remove(id, out OutgoingTransfer? outgoing))
            {
                stopped = outgoing.Stop();
                outgoing.Dispose();
                direction = TransferDirection.Outgoing;
            }
            else if (_incoming.Remove(id, out IncomingTransfer? incoming))
            {
                stopped = incoming.Stop();
                direction = TransferDirection.Incoming;
            }
            else
            {
                throw new ArgumentException($"There is no transfer {id}.", nameof(id));
            }
        }

        if (stopped)
        {
            await _link.SendControlAsync(MessageType.FileCancel, FileMessages.Encode(new FileCancel(id, reason)), cancellationToken).ConfigureAwait(false);
            await _link.PublishAsync(new FileFailed(id, direction, "cancelled here: " + reason)).ConfigureAwait(false);
        }
    }

    private IncomingTransfer PendingOffer(uint id)
    {
        lock (_lock)
        {
            if (_incoming.TryGetValue(id, out IncomingTransfer? transfer) && transfer.IsOffered)
            {
                return transfer;
            }
        }

        throw new ArgumentException($"There is no offer {id} waiting for an answer.", nameof(id));
    }

    private void Forget(uint id)
    {
        lock (_lock)
        {
            _incoming.Remove(id);
        }
    }

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

            if (_incoming.Values.Count(t => t.IsOffered) >= MaxPendingOffers)
            {
                _link.EnqueueControl(MessageType.FileReject, FileMessages.Encode(new FileReject(offer.Id, $"too many offers waiting (at most {MaxPendingOffers})")));
                return new PeerWarning($"The peer offered more than {MaxPendingOffers} files at once; offer {offer.Id} was refused.");
            }

            foreach (uint finished in _incoming.Where(p => p.Value.IsFinished).Select(p => p.Key).ToList())
            {
                _incoming.Remove(finished);
            }

            var transfer = new IncomingTransfer(_link, offer);
            _incoming.Add(offer.Id, transfer);
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

            incoming.OnEnd();
            Forget(end.Id);
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
                _incoming.Remove(cancel.Id, out incoming);
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

    /// <summary>The session ended: every transfer stops (incoming .part files are kept for resuming).</summary>
    public void End(string reason)
    {
        List<SessionEvent> failed = [];
        lock (_lock)
        {
            _ended = true;
            foreach (OutgoingTransfer transfer in _outgoing.Values)
            {
                if (transfer.Stop())
                {
                    failed.Add(new FileFailed(transfer.Id, TransferDirection.Outgoing, reason));
                }

                transfer.Dispose();
            }

            foreach (IncomingTransfer transfer in _incoming.Values)
            {
                if (transfer.Stop())
                {
                    failed.Add(new FileFailed(transfer.Id, TransferDirection.Incoming, reason + "; what arrived is kept in a .part file, and the next offer of the same file resumes from it"));
                }
            }

            _outgoing.Clear();
            _incoming.Clear();
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
