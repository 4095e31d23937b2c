using Microsoft.Win32.SafeHandles;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// A file we offered: waits for FILE_ACCEPT, then sends FILE_DATA from the accepted offset and
/// FILE_END, then waits for the receiver's FILE_END (its hash matched) or FILE_CANCEL.
/// </summary>
internal sealed class OutgoingTransfer : IDisposable
{
    /// <summary>File bytes per FILE_DATA frame: the largest body less the 4-byte id.</summary>
    public const int ChunkSize = TransportLimits.MaxBodyLength - FileMessages.DataHeaderSize;

    /// <summary>
    /// Frames sealed and written together: fewer system calls, while a text typed meanwhile still
    /// waits for at most this many frames (256 KiB) per running transfer.
    /// </summary>
    private const int FramesPerWrite = 4;

    private readonly ISessionLink _link;
    private readonly SafeFileHandle _file;
    private readonly CancellationTokenSource _cancel = new();
    private Task _sending = Task.CompletedTask;
    private int _state; // 0 offered, 1 sending, 2 awaiting confirmation, 3 finished

    public OutgoingTransfer(ISessionLink link, uint id, SafeFileHandle file, string path, string name, long size, string sha256)
    {
        _link = link;
        _file = file;
        Id = id;
        Path = path;
        Name = name;
        Size = size;
        Sha256 = sha256;
    }

    public uint Id { get; }

    public string Path { get; }

    public string Name { get; }

    public long Size { get; }

    public string Sha256 { get; }

    public long Offset { get; private set; }

    /// <summary>The peer accepted: validates the offset and starts sending. False when the offset is impossible or the offer is not waiting.</summary>
    public bool Start(long offset)
    {
        if (offset < 0 || offset > Size || Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            return false;
        }

        Offset = offset;
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
        long position = Offset;
        try
        {
            while (position < Size)
            {
                int count = (int)Math.Min(FramesPerWrite * ChunkSize, Size - position);
                int read = await _link.SendDataAsync(Id, _file, position, count, _cancel.Token).ConfigureAwait(false);
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

            await _link.SendControlAsync(FileMessageType.End, FileMessages.Encode(new FileEnd(Id)), _cancel.Token).ConfigureAwait(false);
            _link.TryPublish(new FileProgress(Id, TransferDirection.Outgoing, position, Size, clock.Rate(position - Offset)));
            if (Interlocked.CompareExchange(ref _state, 2, 1) != 1)
            {
                return; // stopped meanwhile
            }
        }
        catch (Exception e) when (e is OperationCanceledException || _cancel.IsCancellationRequested)
        {
            // Stopped by a cancel or the end of the session; whoever stopped it reports.
        }
        catch (IOException e)
        {
            if (Stop())
            {
                await _link.TryCancelAsync(Id, "the sender could not read the file").ConfigureAwait(false);
                await _link.PublishAsync(new FileFailed(Id, TransferDirection.Outgoing, "cannot read " + Path + ": " + e.Message)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session ended: it reports why, and the transfers fail with it.
        }
    }

    /// <summary>Stops the transfer; the file is closed once the sending loop has let go of it.</summary>
    public void Dispose()
    {
        Stop();
        _sending.ContinueWith(_ => _file.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
