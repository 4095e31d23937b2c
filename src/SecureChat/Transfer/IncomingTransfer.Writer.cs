using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using SecureChat.Framing;

namespace SecureChat.Transfer;

/// <summary>
/// The writer side of an incoming transfer: the read loop queues chunks (bounded, so memory stays
/// constant), one writer task hashes them and writes them to the .part, and at FILE_END compares
/// the SHA-256 of the whole file with the sender's (the offer's, else the one in its FILE_END).
/// </summary>
internal sealed partial class IncomingTransfer
{
    /// <summary>
    /// A FILE_DATA chunk from the read loop (copied, as the frame buffer is reused). Waits while the
    /// writer is behind. A chunk beyond the offered size fails the transfer.
    /// </summary>
    public async ValueTask OnDataAsync(byte[] chunk, int length, CancellationToken cancellationToken)
    {
        if (!IsReceiving)
        {
            ArrayPool<byte>.Shared.Return(chunk, clearArray: true); // file bytes: not left in the pool
            return;
        }

        if (_queued + length > Size)
        {
            ArrayPool<byte>.Shared.Return(chunk, clearArray: true);
            await FailAsync("the peer sent more data than it offered", "the sender sent more data than it offered", keepPart: true).ConfigureAwait(false);
            return;
        }

        _queued += length;
        try
        {
            await _queue.Writer.WriteAsync(new Chunk(chunk, length), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(chunk, clearArray: true); // the writer failed meanwhile
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(chunk, clearArray: true); // the session is ending
            throw;
        }
    }

    private async Task WriteLoopAsync(PartFile part, long offset)
    {
        IncrementalHash hash = _hash!; // a failure elsewhere disposes it: ObjectDisposedException below, like the .part's handle
        var clock = new ProgressClock();
        long position = offset;
        try
        {
            await foreach (Chunk chunk in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (chunk.Length == RestartMarker)
                {
                    // FILE_RESTART: the .part was some other file's start.
                    RandomAccess.SetLength(part.Handle, 0);
                    hash.GetHashAndReset();
                    position = offset = 0;
                    Volatile.Write(ref _existing, 0);
                    Volatile.Write(ref _partLength, 0);
                    continue;
                }

                try
                {
                    hash.AppendData(chunk.Buffer, 0, chunk.Length);
                    RandomAccess.Write(part.Handle, chunk.Buffer.AsSpan(0, chunk.Length), position);
                    position += chunk.Length;
                    Consume(chunk.Length);
                    Volatile.Write(ref _partLength, position);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer, clearArray: true);
                }

                if (clock.Due())
                {
                    _link.TryPublish(new FileProgress(Id, TransferDirection.Incoming, position, Size, clock.Rate(position - offset)));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
            // Stopped (the peer cancelled, the session ended, or the transfer failed): keep the .part for resuming.
            Close(keepPart: true);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await FailAsync($"cannot write {part.Path}: {e.Message} The .part is kept: free some space and ask for the file again to resume.", "the receiver cannot write the file", keepPart: true).ConfigureAwait(false);
            return;
        }

        await FinishAsync(hash, position, offset, clock).ConfigureAwait(false);
    }

    private async Task FinishAsync(IncrementalHash hash, long position, long offset, ProgressClock clock)
    {
        if (Interlocked.CompareExchange(ref _state, 3, 2) != 2)
        {
            Close(keepPart: true);
            return;
        }

        if (position != Size)
        {
            Volatile.Write(ref _state, 2);
            await FailAsync($"the peer ended the file after {position:N0} of {Size:N0} bytes; what arrived is kept in a .part for resuming (unless {TransferManager.MaxKeptPartFiles} are kept already)", $"the file ended after {position:N0} of {Size:N0} bytes", keepPart: true).ConfigureAwait(false);
            return;
        }

        _link.TryPublish(new FileProgress(Id, TransferDirection.Incoming, position, Size, clock.Rate(position - offset)));
        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        string? expected = Sha256 ?? Volatile.Read(ref _endSha256);
        string? problem =
            expected is null ? "the sender did not give the SHA-256 of the file (neither in its offer nor at its end)"
            : Sha256 is not null && _endSha256 is not null && _endSha256 != Sha256 ? "the sender's SHA-256 at the end differs from the one in its offer"
            : actual != expected ? "the SHA-256 of the received file does not match the sender's (corrupted, or changed while it was sent)"
            : null;
        if (problem is not null)
        {
            Close(keepPart: false);
            await _link.CancelAndReportAsync(Id, problem, new FileFailed(Id, TransferDirection.Incoming, problem + "; it was deleted")).ConfigureAwait(false);
            return;
        }

        PartFile part = _part!;
        string path;
        try
        {
            path = part.Complete(Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Close(keepPart: true);
            await _link.CancelAndReportAsync(Id, "the receiver could not store the file", new FileFailed(Id, TransferDirection.Incoming, $"the file arrived intact but could not be renamed from {part.Path}: {e.Message}")).ConfigureAwait(false);
            return;
        }

        part.Release();
        lock (_closeLock)
        {
            _part = null; // it is the file now: nothing to keep or delete
        }

        Close(keepPart: true);

        // The confirmation and our event together: the sender may close as soon as it has the
        // confirmation, and our application may close as soon as it has the event. (If the session
        // ended meanwhile, the file is here all the same; the sender just won't hear it.)
        await _link.SendThenPublishAsync(
            FileMessageType.End,
            FileMessages.Encode(new FileEnd(Id)),
            new FileCompleted(Id, TransferDirection.Incoming, path, actual, Verified: true, ResumedFrom: offset),
            waitForRoom: true,
            CancellationToken.None).ConfigureAwait(false);
    }
}
