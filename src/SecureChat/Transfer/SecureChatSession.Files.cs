using Microsoft.Win32.SafeHandles;
using SecureChat.Framing;
using SecureChat.Transfer;

namespace SecureChat.Session;

/// <summary>
/// File transfer (docs/PROTOCOL.md §4.1): offers, answers and data travel as ordinary transport
/// messages, so every FILE_DATA frame has a key of its own like any text, and a text sent during a
/// transfer waits for one frame at most.
/// </summary>
public sealed partial class SecureChatSession : ITransferLink
{
    /// <summary>
    /// Offers a file to the peer: hashes it (SHA-256, off the caller's thread), then sends the offer.
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
        return await _transfers.OfferAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Accepts the peer's offer <paramref name="id"/> into <paramref name="directory"/>: the data goes
    /// to NAME.part (resuming from a previous attempt's .part when it is the same file), and becomes
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
            await _transfers.AcceptAsync(id, directory, cancellationToken).ConfigureAwait(false);
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
        await _transfers.RejectAsync(id, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops transfer <paramref name="id"/> in either direction and tells the peer. An incoming .part is
    /// kept for resuming when bytes arrived (at most 8 such per session); otherwise it is deleted.
    /// </summary>
    /// <exception cref="ArgumentException">No such transfer is running.</exception>
    public async ValueTask CancelFileAsync(uint id, string reason = "cancelled", CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        await _transfers.CancelAsync(id, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tests and fuzzing only: one transport message of any type and body, as a hostile but authenticated peer could send.</summary>
    internal async ValueTask SendRawForTestsAsync(byte type, ReadOnlyMemory<byte> body) =>
        await SendMessageAsync((MessageType)type, body, captureCiphertext: false, CancellationToken.None).ConfigureAwait(false);

    SessionOptions ITransferLink.Options => _options;

    async ValueTask ITransferLink.SendControlAsync(MessageType type, byte[] body, CancellationToken cancellationToken) =>
        await SendMessageAsync(type, body, captureCiphertext: false, cancellationToken).ConfigureAwait(false);

    async ValueTask<int> ITransferLink.SendDataAsync(uint id, SafeFileHandle file, long offset, int count, CancellationToken cancellationToken)
    {
        var source = new FileDataSource(id, file, offset, count);
        int frames = (count + OutgoingTransfer.ChunkSize - 1) / OutgoingTransfer.ChunkSize;
        await SendFramesAsync(frames * Frame.MaxFrameSize, BuildFileFrames, source, captureCiphertext: false, cancellationToken).ConfigureAwait(false);
        if (source.Error is not null)
        {
            throw new IOException(source.Error.Message, source.Error);
        }

        return source.Read;
    }

    /// <summary>
    /// FILE_DATA frames (type ‖ id ‖ up to 65,514 file bytes each), the file read straight into the
    /// frame buffer and sealed in place, one message (and one rekey) per frame. Returns their total
    /// length; -1 (send nothing) when the file has nothing more or cannot be read.
    /// </summary>
    private static int BuildFileFrames(SecureChatSession session, Span<byte> buffer, FileDataSource source)
    {
        const int header = 1 + FileMessages.DataHeaderSize;
        int length = 0;
        while (source.Read < source.Count)
        {
            Span<byte> plaintext = buffer[(length + Frame.HeaderSize)..];
            plaintext[0] = (byte)MessageType.FileData;
            FileMessages.WriteDataHeader(plaintext.Slice(1, FileMessages.DataHeaderSize), source.Id);
            int want = Math.Min(OutgoingTransfer.ChunkSize, source.Count - source.Read);
            int read;
            try
            {
                read = RandomAccess.Read(source.File, plaintext.Slice(header, want), source.Offset + source.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Frames already sealed must still go out: the send key has moved past them.
                source.Error = e;
                return length > 0 ? length : -1;
            }

            if (read <= 0)
            {
                break;
            }

            source.Read += read;
            length += session.SealInPlace(buffer[length..], header + read);
        }

        return length > 0 ? length : -1;
    }

    async ValueTask ITransferLink.PublishAsync(SessionEvent evt)
    {
        try
        {
            await _events.Writer.WriteAsync(evt, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // The session ended: the application learns that from the session itself.
        }
    }

    void ITransferLink.TryPublish(SessionEvent evt) => _events.Writer.TryWrite(evt);

    /// <summary>A FILE_DATA chunk the read loop hands to its transfer's writer (never delivered to the application).</summary>
    private sealed record FileChunk(IncomingTransfer Transfer, byte[] Chunk, int Length) : SessionEvent;

    private sealed class FileDataSource(uint id, SafeFileHandle file, long offset, int count)
    {
        public uint Id { get; } = id;

        public SafeFileHandle File { get; } = file;

        public long Offset { get; } = offset;

        public int Count { get; } = count;

        public int Read { get; set; }

        public Exception? Error { get; set; }
    }
}
