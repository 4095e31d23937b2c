using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// A file the peer offered. Once accepted, the session's read loop hands each FILE_DATA chunk to a
/// bounded queue (so memory stays constant whatever the size) and a writer task hashes and writes
/// it to the .part; at FILE_END the SHA-256 of the whole file is compared with the sender's (from the
/// offer, or from its FILE_END when the offer had none) and the .part becomes the file, or is deleted.
/// Only a .part the same authenticated peer left is resumed (<see cref="PartFile"/>); the resumed
/// transfer proves its prefix to the sender with a keyed MAC (FILE_ACCEPT's challenge and
/// prefix_mac, never a plain digest of the .part); a FILE_RESTART answer empties the .part and the
/// data comes from byte 0. A transfer that stops early keeps its .part for resuming
/// only when bytes arrived and its manager allows one more kept .part (<see cref="TransferManager.MaxKeptPartFiles"/>);
/// otherwise the .part and .meta are deleted. An open transfer holds one file descriptor, the .part;
/// an offer holds none.
/// </summary>
internal sealed partial class IncomingTransfer
{
    /// <summary>Chunks in flight between the read loop and the writer: 32 × 64 KiB = 2 MiB at most.</summary>
    private const int QueueLength = 32;

    private readonly ISessionLink _link;
    private readonly TransferManager _owner;
    private readonly Lock _closeLock = new();
    private readonly Channel<Chunk> _queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueueLength) { SingleReader = true, SingleWriter = true });
    private PartFile? _part;
    private IncrementalHash? _hash;
    private long _queued;
    private long _partLength; // bytes in the .part: what a previous attempt left, then what the writer wrote
    private long _existing; // what a previous attempt left in the .part (0 once restarted)
    private string? _challenge; // FILE_ACCEPT's fresh random HMAC key, when resuming
    private string? _prefixMac; // HMAC-SHA256(_challenge, those bytes), for FILE_ACCEPT
    private string? _endSha256; // the hash in the sender's FILE_END
    private bool _restarted;

    /// <summary>Guards <see cref="_reservedByProcess"/> and each transfer's share of it.</summary>
    private static readonly Lock ReservationLock = new();

    /// <summary>Free bytes promised to incoming files of this process that have not been written yet.</summary>
    private static long _reservedByProcess;

    private long _reserved;
    private bool _closed;

    /// <summary>Completed once the transfer has stopped and its .part is closed, kept or deleted for good.</summary>
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _endSeen;
    private int _state; // 0 offered, 1 accepting, 2 receiving, 3 finished

    public IncomingTransfer(ISessionLink link, TransferManager owner, FileOffer offer)
    {
        _link = link;
        _owner = owner;
        Id = offer.Id;
        Name = SafeFileName.Reduce(offer.Name);
        Size = offer.Size;
        Sha256 = offer.Sha256Hex;
    }

    public uint Id { get; }

    /// <summary>The peer's name, reduced to a safe file name.</summary>
    public string Name { get; }

    public long Size { get; }

    /// <summary>The offer's SHA-256, or null when the sender's FILE_END carries it.</summary>
    public string? Sha256 { get; }

    public bool IsOffered => Volatile.Read(ref _state) == 0;

    /// <summary>Accepted, and the sender has not yet said FILE_END.</summary>
    public bool IsReceiving => Volatile.Read(ref _state) == 2 && !Volatile.Read(ref _endSeen);

    /// <summary>Counted among the transfers being received (guarded by the manager's lock).</summary>
    public bool HoldsSlot { get; set; }

    /// <summary>
    /// Claims the .part in <paramref name="directory"/>, hashes what a previous attempt left in it,
    /// starts the writer and tells the peer where to start. Runs off the read loop. With
    /// <paramref name="checkFreeSpace"/>, the rest of the file must fit in the directory's free space
    /// with <see cref="TransferManager.FreeSpaceMargin"/> to spare.
    /// </summary>
    /// <exception cref="TransferLimitException">Not enough free space: the offer is waiting again, nothing was sent.</exception>
    /// <exception cref="InvalidOperationException">The offer is no longer waiting.</exception>
    /// <exception cref="IOException">The directory or the .part cannot be used (reported to the peer too).</exception>
    public async Task AcceptAsync(string directory, bool checkFreeSpace, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException($"Offer {Id} is no longer waiting for an answer.");
        }

        try
        {
            await Task.Run(() => Prepare(directory, checkFreeSpace), cancellationToken).ConfigureAwait(false);
        }
        catch (TransferLimitException)
        {
            Close(keepPart: true, retire: false);
            if (Interlocked.CompareExchange(ref _state, 0, 1) != 1)
            {
                _owner.Retire(this); // stopped meanwhile
            }

            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            Volatile.Write(ref _state, 3);
            Close(keepPart: true);
            await _link.TryCancelAsync(Id, "the receiver cannot write the file").ConfigureAwait(false);
            throw new IOException($"Cannot receive {Name} into {directory}: {e.Message}", e);
        }

        PartFile part = _part!;
        long offset = part.Existing;
        _queued = offset;
        _existing = offset;
        if (Interlocked.CompareExchange(ref _state, 2, 1) != 1)
        {
            Close(keepPart: true); // stopped while the .part was prepared
            throw new InvalidOperationException($"Offer {Id} was cancelled.");
        }

        _ = Task.Run(() => WriteLoopAsync(part, offset), CancellationToken.None);
        await _link.SendControlAsync(FileMessageType.Accept, FileMessages.Encode(new FileAccept(Id, offset, offset > 0 ? _challenge : null, offset > 0 ? _prefixMac : null)), cancellationToken).ConfigureAwait(false);
    }

    private void Prepare(string directory, bool checkFreeSpace)
    {
        PartFile part = PartFile.Claim(directory, Name, Size, Sha256, _link.PeerFingerprint);
        lock (_closeLock)
        {
            _part = part;
            _partLength = part.Existing;
            _closed = false;
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        if (checkFreeSpace)
        {
            CheckFreeSpace(directory, Size - part.Existing);
        }

        if (part.Existing > 0)
        {
            // The final check covers the whole file: hash what the .part already holds. The sender
            // checks the same bytes against its own before it sends the rest, by an HMAC under a
            // fresh random key: a plain SHA-256 of them would let anyone who sees it extend it.
            byte[] challenge = RandomNumberGenerator.GetBytes(FileMessages.Sha256HexLength / 2);
            using IncrementalHash mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, challenge);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                long position = 0;
                while (position < part.Existing)
                {
                    int read = RandomAccess.Read(part.Handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, part.Existing - position)), position);
                    if (read <= 0)
                    {
                        throw new IOException("the .part file shrank while it was read");
                    }

                    _hash.AppendData(buffer, 0, read);
                    mac.AppendData(buffer, 0, read);
                    position += read;
                }

                _challenge = Convert.ToHexStringLower(challenge);
                _prefixMac = Convert.ToHexStringLower(mac.GetHashAndReset());
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // it held the file's bytes
            }
        }
    }

    /// <summary>The sender's FILE_END, with its hash of the whole file (if any): the writer finishes, checks the hash and reports.</summary>
    public void OnEnd(string? sha256)
    {
        Volatile.Write(ref _endSha256, sha256);
        Volatile.Write(ref _endSeen, true);
        _queue.Writer.TryComplete();
    }

    /// <summary>
    /// The sender's FILE_RESTART (read loop): only for a resumed transfer before any of its data,
    /// once. The writer empties the .part and the hash; the data then counts from byte 0.
    /// False (ignored) otherwise.
    /// </summary>
    public bool TryRestart()
    {
        if (!IsReceiving || _restarted || _existing == 0 || _queued != _existing)
        {
            return false;
        }

        if (!_queue.Writer.TryWrite(new Chunk([], RestartMarker)))
        {
            return false; // the queue is full of (empty) chunks: not the first thing after the accept
        }

        _restarted = true;
        _queued = 0;
        return true;
    }

    /// <summary>
    /// The peer cancelled, this side cancelled, or the session ended: stop. The .part is kept for
    /// resuming when bytes arrived (see <see cref="Close"/>).
    /// </summary>
    public bool Stop()
    {
        int previous = Interlocked.Exchange(ref _state, 3);
        if (previous == 3)
        {
            return false;
        }

        _queue.Writer.TryComplete(new OperationCanceledException());
        if (previous == 0)
        {
            Close(keepPart: true);
        }

        // Accepting: AcceptAsync closes when it sees the stop. Receiving: the writer closes.
        return true;
    }

    /// <summary>Refuses the file when the rest of it would leave less than the margin free.</summary>
    /// <exception cref="TransferLimitException">It would.</exception>
    private void CheckFreeSpace(string directory, long needed)
    {
        lock (ReservationLock)
        {
            // Space promised to the files still arriving in this process is not free: four
            // transfers accepted at once must not each count the same free bytes.
            long available = new DriveInfo(directory).AvailableFreeSpace - TransferManager.FreeSpaceMargin - _reservedByProcess;
            if (needed <= Math.Max(available, 0))
            {
                _reservedByProcess += needed;
                _reserved = needed;
                return;
            }

            available = Math.Max(available, 0);
            throw new TransferLimitException(
                TransferLimit.NotEnoughSpace,
                Math.Max(available, 0),
                $"Offer {Id} ({Name}) needs {needed:N0} more bytes, but {directory} has {Math.Max(available, 0):N0} bytes free beyond the {TransferManager.FreeSpaceMargin / (1 << 20)} MiB kept spare and the space promised to files still arriving: free some space, choose another directory, or set a MaxIncomingFileSize to accept it anyway.",
                "the receiver does not have enough free space for the file");
        }
    }

    /// <summary>Bytes written: that much of the reservation is now on the disk (and so no longer free anyway).</summary>
    private void Consume(long written)
    {
        lock (ReservationLock)
        {
            long used = Math.Min(written, _reserved);
            _reserved -= used;
            _reservedByProcess -= used;
        }
    }

    private void ReleaseReservation()
    {
        lock (ReservationLock)
        {
            _reservedByProcess -= _reserved;
            _reserved = 0;
        }
    }

    /// <summary>
    /// Ends the transfer with an error: stop the writer, keep or delete the .part, tell the peer
    /// (<paramref name="peerReason"/>, which names no local path) and the application (<paramref name="reason"/>).
    /// </summary>
    private async Task FailAsync(string reason, string peerReason, bool keepPart)
    {
        if (Interlocked.Exchange(ref _state, 3) == 3)
        {
            return;
        }

        _queue.Writer.TryComplete(new OperationCanceledException());
        Close(keepPart);
        await _link.CancelAndReportAsync(Id, peerReason, new FileFailed(Id, TransferDirection.Incoming, reason)).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the .part, once, and, with <paramref name="retire"/>, takes the transfer off its
    /// manager's list. The .part and .meta stay for resuming only when <paramref name="keepPart"/>,
    /// the .part holds bytes, and either it is just as a previous attempt left it or the manager
    /// allows one more kept .part this session; otherwise both are deleted.
    /// </summary>
    private void Close(bool keepPart, bool retire = true)
    {
        ReleaseReservation();
        lock (_closeLock)
        {
            if (!_closed)
            {
                _closed = true;
                _hash?.Dispose();
                _hash = null;
                if (_part is not null)
                {
                    long length = Volatile.Read(ref _partLength);
                    if (keepPart && length > 0 && (length == Volatile.Read(ref _existing) || _owner.TryKeepPart()))
                    {
                        _part.Dispose();
                    }
                    else
                    {
                        _part.Delete();
                    }

                    _part.Release();
                }
            }
        }

        if (retire)
        {
            _owner.Retire(this);
        }

        if (Volatile.Read(ref _state) == 3)
        {
            _settled.TrySetResult();
        }
    }

    /// <summary>
    /// Publishes <paramref name="failed"/> once the writer has stopped and the .part is kept or
    /// deleted, so an application that sees the failure finds the download directory as it stays.
    /// Run by the read loop (the peer's FILE_CANCEL): the writer only finishes what was queued.
    /// </summary>
    public async ValueTask PublishWhenSettledAsync(FileFailed failed, CancellationToken cancellationToken)
    {
        try
        {
            await _settled.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session is ending: report the failure anyway.
        }

        await _link.PublishAsync(failed).ConfigureAwait(false);
    }

    /// <summary>A <see cref="Chunk"/> length that is no data but FILE_RESTART's order to the writer.</summary>
    private const int RestartMarker = -1;

    private readonly record struct Chunk(byte[] Buffer, int Length);
}
