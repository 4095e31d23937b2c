using System.Buffers;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// Incoming transfers: the peer's offers (bounded by <see cref="MaxPendingOffers"/>), our answers,
/// the limits on files being received, and FILE_DATA for the writers.
/// </summary>
internal sealed partial class TransferManager
{
    /// <summary>Accepts the peer's offer into <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">No offer with this id is waiting, or the directory does not exist.</exception>
    /// <exception cref="TransferLimitException">Too many files are being received, or the file is too large; the offer is still waiting.</exception>
    /// <exception cref="IOException">The file cannot be written there.</exception>
    public async Task AcceptAsync(uint id, string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"The download directory {directory} does not exist.", nameof(directory));
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
        await _link.SendControlAsync(FileMessageType.Reject, FileMessages.Encode(new FileReject(id, reason)), cancellationToken).ConfigureAwait(false);
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
                _link.EnqueueControl(FileMessageType.Reject, FileMessages.Encode(new FileReject(offer.Id, $"too many offers waiting (at most {MaxPendingOffers})")));

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
}
