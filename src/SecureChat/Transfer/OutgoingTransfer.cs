using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// A file we offered (without its hash: it is computed while the data goes out). Waits for
/// FILE_ACCEPT; when the receiver resumes, checks its prefix MAC (HMAC-SHA256 under the receiver's
/// challenge) against our first bytes and answers FILE_RESTART when they differ; then sends FILE_DATA and FILE_END with the SHA-256 of the
/// whole file, and waits for the receiver's FILE_END (its hash matched) or FILE_CANCEL.
/// </summary>
internal sealed class OutgoingTransfer : IDisposable
{
    /// <summary>File bytes per FILE_DATA frame: the largest body less the 4-byte id.</summary>
    public const int ChunkSize = TransportLimits.MaxBodyLength - FileMessages.DataHeaderSize;

    /// <summary>
    /// Frames sealed and written together: fewer system calls, while a text typed meanwhile still
    /// waits for at most this many frames (512 KiB) per running transfer.
    /// </summary>
    private const int FramesPerWrite = 8;

    private readonly ISessionLink _link;
    private readonly SafeFileHandle _file;
    private readonly CancellationTokenSource _cancel = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Task _sending = Task.CompletedTask;
    private byte[]? _challenge;
    private byte[]? _prefixMac;
    private int _state; // 0 offered, 1 sending, 2 awaiting confirmation, 3 finished

    public OutgoingTransfer(ISessionLink link, uint id, SafeFileHandle file, string path, string name, long size)
    {
        _link = link;
        _file = file;
        Id = id;
        Path = path;
        Name = name;
        Size = size;
    }

    public uint Id { get; }

    public string Path { get; }

    public string Name { get; }

    public long Size { get; }

    /// <summary>The SHA-256 of what was sent, once FILE_END is out (null before).</summary>
    public string? Sha256 { get; private set; }

    /// <summary>Where the data started: the accepted offset, or 0 after a FILE_RESTART.</summary>
    public long Offset { get; private set; }

    /// <summary>
    /// The peer accepted: validates the offset and starts sending. False when the offset is impossible
    /// or the offer is not waiting. <paramref name="challengeHex"/> and <paramref name="prefixMacHex"/>
    /// (64 hexadecimal digits each, as <see cref="FileMessages.ParseAccept"/> checked) come with an offset above 0.
    /// </summary>
    public bool Start(long offset, string? challengeHex, string? prefixMacHex)
    {
        bool resumed = offset > 0;
        if (offset < 0 || offset > Size || resumed != (challengeHex is not null) || resumed != (prefixMacHex is not null)
            || Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            return false;
        }

        Offset = offset;
        _challenge = resumed ? Convert.FromHexString(challengeHex!) : null;
        _prefixMac = resumed ? Convert.FromHexString(prefixMacHex!) : null;
        _sending = Task.Run(SendAsync);
        return true;
    }

    /// <summary>The receiver's FILE_END: its copy is complete and verified.</summary>
    public bool Confirm() => Interlocked.CompareExchange(ref _state, 3, 2) == 2;

    /// <summary>Stops sending (peer's FILE_CANCEL or REJECT, our cancel, or the session ending). True if it was still running.</summary>
    public bool Stop()
    {
        if (Interlocked.Exchange(ref _state, 3) == 3)
        {
            return false;
        }

        _cancel.Cancel();
        return true;
    }

    private async Task SendAsync()
    {
        var clock = new ProgressClock();
        try
        {
            if (Offset > 0 && !await PrefixMatchesAsync().ConfigureAwait(false))
            {
                // The receiver's .part is some other file's start: it empties it, and all of ours follows.
                _hash.GetHashAndReset();
                Offset = 0;
                await _link.SendControlAsync(FileMessageType.Restart, FileMessages.Encode(new FileRestart(Id)), _cancel.Token).ConfigureAwait(false);
                _link.TryPublish(new PeerWarning($"The peer's partial copy of file {Id} is not the start of {Name}; sending it from the start."));
            }

            long position = Offset;
            while (position < Size)
            {
                int count = (int)Math.Min(FramesPerWrite * ChunkSize, Size - position);
                int read = await _link.SendDataAsync(Id, _file, position, count, _hash, _cancel.Token).ConfigureAwait(false);
                if (read <= 0)
                {
                    throw new IOException($"the file shrank while it was being sent ({position:N0} of {Size:N0} bytes)");
                }

                position += read;
                if (clock.Due())
                {
                    _link.TryPublish(new FileProgress(Id, TransferDirection.Outgoing, position, Size, clock.Rate(position - Offset)));
                }
            }

            string sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
            Sha256 = sha256;
            _link.TryPublish(new FileProgress(Id, TransferDirection.Outgoing, position, Size, clock.Rate(position - Offset)));

            // Waiting for the receiver's confirmation from BEFORE our FILE_END can leave: the
            // receiver may check the file and confirm before this send returns (the frame is out
            // once the socket took it), and a confirmation that found us still "sending" would be
            // ignored, so the transfer would never complete.
            if (Interlocked.CompareExchange(ref _state, 2, 1) != 1)
            {
                return; // stopped meanwhile
            }

            await _link.SendControlAsync(FileMessageType.End, FileMessages.Encode(new FileEnd(Id, sha256)), _cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || _cancel.IsCancellationRequested)
        {
            // Stopped by a cancel or the end of the session; whoever stopped it reports.
        }
        catch (IOException e)
        {
            if (Stop())
            {
                await _link.CancelAndReportAsync(Id, "the sender could not read the file", new FileFailed(Id, TransferDirection.Outgoing, "cannot read " + Path + ": " + e.Message)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session ended: it reports why, and the transfers fail with it.
        }
    }

    /// <summary>
    /// Hashes our first <see cref="Offset"/> bytes (into the whole-file hash, which goes on from there,
    /// and into HMAC-SHA256 under the receiver's challenge) and compares the MAC with the receiver's.
    /// </summary>
    /// <exception cref="IOException">The file cannot be read, or is shorter than it was.</exception>
    private async Task<bool> PrefixMatchesAsync()
    {
        using IncrementalHash mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _challenge!);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long position = 0;
            while (position < Offset)
            {
                _cancel.Token.ThrowIfCancellationRequested();
                int read = await RandomAccess.ReadAsync(_file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, Offset - position)), position, _cancel.Token).ConfigureAwait(false);
                if (read <= 0)
                {
                    throw new IOException($"the file shrank while it was being sent ({position:N0} of {Size:N0} bytes)");
                }

                _hash.AppendData(buffer, 0, read);
                mac.AppendData(buffer, 0, read);
                position += read;
            }

            return CryptographicOperations.FixedTimeEquals(mac.GetHashAndReset(), _prefixMac!);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // it held the file's bytes
        }
    }

    /// <summary>Stops the transfer; the file and the hash are released once the sending loop has let go of them.</summary>
    public void Dispose()
    {
        Stop();
        _sending.ContinueWith(
            _ =>
            {
                _file.Dispose();
                _hash.Dispose();
                _cancel.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
