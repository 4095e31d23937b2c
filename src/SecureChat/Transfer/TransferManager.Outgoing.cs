using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>Outgoing transfers: offering a file (its hash follows the data) and the peer's answers to our offers.</summary>
internal sealed partial class TransferManager
{
    /// <summary>Offers a file to the peer, with <c>"sha256": null</c>: the hash is computed while the data is sent.</summary>
    /// <exception cref="ArgumentException">The path is not a readable regular file (the message says what to do).</exception>
    public async Task<FileOfferSent> OfferAsync(string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ArgumentException($"{path} is a directory: only a single file can be sent.", nameof(path));
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
            // No hashing pass first: the SHA-256 is computed as the data goes out, and FILE_END carries it.
            long size = RandomAccess.GetLength(file);
            string name = Path.GetFileName(full);
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_ended, this);
                uint id = _nextId;
                _nextId += 2;
                transfer = new OutgoingTransfer(_link, id, file, full, name, size);
                _outgoing.Add(id, transfer);
            }

            await _link.SendControlAsync(FileMessageType.Offer, FileMessages.Encode(new FileOffer(transfer.Id, name, size, Sha256Hex: null)), cancellationToken).ConfigureAwait(false);
            return new FileOfferSent(transfer.Id, name, size, Sha256: null, full);
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
            _link.EnqueueControl(FileMessageType.Cancel, FileMessages.Encode(new FileCancel(accept.Id, "the offset is beyond the end of the file")));
            return new FileFailed(accept.Id, TransferDirection.Outgoing, $"the peer asked to resume at byte {accept.Offset:N0}, beyond the file's {transfer.Size:N0} bytes");
        }

        if (!transfer.Start(accept.Offset, accept.ChallengeHex, accept.PrefixMacHex))
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
