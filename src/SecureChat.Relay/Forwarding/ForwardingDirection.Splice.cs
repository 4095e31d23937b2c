using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The zero-copy path (Linux): splice(2) moves a read from the source socket into a kernel pipe and
/// from the pipe into the destination socket, so the bytes never cross into the process. Both
/// calls are non-blocking; while bytes flow both ways a chunk costs two system calls and no thread
/// hop. The rules of the copying path hold: one chunk at a time (the next splice in only once the
/// pipe is empty again), the chunk charged to the <see cref="BufferBudget"/> until then, and when
/// the destination is full (EAGAIN) the direction waits for it by sending the next
/// <see cref="DrainSlice"/> bytes of the pipe with an ordinary asynchronous send, .NET having no
/// "wait until writable" of its own — so a receiver that stops reading stops the direction, and the
/// stall check sees no progress. A pipe is opened when a chunk is to be moved and closed when the
/// direction goes idle or ends. Each system call holds a reference on the socket's handle, so a
/// concurrent close (the pair closing) cannot free the descriptor number, and let it be reused,
/// while the call uses it. EINVAL or EOPNOTSUPP from splice moves this direction to the
/// copying path for good, ENOSYS every direction.
/// </summary>
internal sealed partial class ForwardingDirection
{
    /// <summary>What a destination that is full gets through an ordinary send (a copy), so the direction can wait for it.</summary>
    public const int DrainSlice = 64 * 1024;

    /// <summary>A chunk result: splice found nothing to read (EAGAIN) and read nothing.</summary>
    private const int NothingReady = -1;

    /// <summary>A chunk result: splice cannot be used here; nothing was read.</summary>
    private const int Unsupported = -2;

    private bool _zeroCopy = pipes is { Enabled: true };
    private bool _checked;
    private SplicePipe? _pipe;
    private int _inPipe;

    /// <summary>True while this direction holds a pipe.</summary>
    public bool HoldsPipe => Volatile.Read(ref _pipe) is not null;

    /// <summary>The pipe for the next chunk (opening one), or null to copy it.</summary>
    private SplicePipe? UseSplice()
    {
        if (!_zeroCopy || pipes is null)
        {
            return null;
        }

        if (!_checked)
        {
            // .NET puts a socket in non-blocking mode at its first asynchronous operation (every
            // relay socket has had one); a blocking one would block a thread-pool thread here.
            _checked = true;
            if (!NonBlocking(from) || !NonBlocking(to))
            {
                _zeroCopy = false;
                return null;
            }
        }

        return _pipe ??= pipes.TryOpen();
    }

    /// <summary>One splice into the (empty) pipe and the splices out until it is empty; the bytes moved (0 at the source's FIN) and the bytes asked for.</summary>
    private async ValueTask<(int Moved, int Wanted)> SpliceChunkAsync(SplicePipe pipe, int size, long allowed, CancellationToken cancellationToken)
    {
        budget.Reserve(Math.Min(size, pipe.Capacity), receiver, out int granted);
        try
        {
            int want = (int)Math.Min(Math.Min(granted, pipe.Capacity), allowed);
            long moved = Splice(from, pipe.WriteEnd, want, out int errno);
            if (moved < 0)
            {
                return errno switch
                {
                    LinuxSplice.EAgain => (NothingReady, want),
                    LinuxSplice.EInval or LinuxSplice.EOpNotSupp or LinuxSplice.ENoSys => (FallBack(errno), want),
                    _ => throw new SocketException((int)SocketError.ConnectionReset),
                };
            }

            if (moved == 0)
            {
                return (0, want);
            }

            _inPipe = (int)moved;
            Volatile.Write(ref _lastActivity, time.GetTimestamp());
            await SendFromPipeAsync(pipe, cancellationToken).ConfigureAwait(false);
            return ((int)moved, want);
        }
        finally
        {
            budget.Release(granted, receiver);
        }
    }

    /// <summary>Splices the pipe's bytes into the destination; when it is full, waits for it by sending a slice the ordinary way.</summary>
    private async ValueTask SendFromPipeAsync(SplicePipe pipe, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _sendingSince, time.GetTimestamp());
        try
        {
            while (_inPipe > 0)
            {
                long sent = Splice(pipe.ReadEnd, to, _inPipe, out int errno);
                if (sent > 0)
                {
                    _inPipe -= (int)sent;
                    Sent(sent);
                    continue;
                }

                bool unsupported = errno is LinuxSplice.EInval or LinuxSplice.EOpNotSupp or LinuxSplice.ENoSys;
                if (sent < 0 && errno != LinuxSplice.EAgain && !unsupported)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                if (unsupported)
                {
                    FallBack(errno);
                }

                // Full (EAGAIN): an ordinary send of the next slice waits until the receiver makes
                // room; without splice, everything left goes that way.
                await DrainAsync(pipe, unsupported ? _inPipe : Math.Min(_inPipe, DrainSlice), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _sendingSince, time.GetTimestamp());
            }
        }
        finally
        {
            Volatile.Write(ref _sendingSince, 0);
        }
    }

    /// <summary>Reads <paramref name="count"/> bytes out of the pipe (they are in it) and sends them with an asynchronous send.</summary>
    private async ValueTask DrainAsync(SplicePipe pipe, int count, CancellationToken cancellationToken)
    {
        // The bytes move from the pipe to this array: the budget already counts them.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            int filled = 0;
            while (filled < count)
            {
                long read = LinuxSplice.Read(pipe.ReadEnd, buffer.AsSpan(filled, count - filled), out _);
                if (read <= 0)
                {
                    throw new IOException("The pipe lost bytes it held.");
                }

                filled += (int)read;
            }

            _inPipe -= count;
            await SendAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Leaves the zero-copy path (this direction; every direction for ENOSYS); returns <see cref="Unsupported"/>.</summary>
    private int FallBack(int errno)
    {
        _zeroCopy = false;
        if (errno == LinuxSplice.ENoSys)
        {
            pipes?.Disable();
        }

        return Unsupported;
    }

    /// <summary>Closes the pipe, if one is held (idle, ended, or failed with bytes still in it).</summary>
    private void ClosePipe()
    {
        if (_pipe is { } pipe)
        {
            _pipe = null;
            _inPipe = 0;
            pipes!.Close(pipe);
        }
    }

    /// <summary>Splices from <paramref name="socket"/> into the pipe end <paramref name="pipeEnd"/>.</summary>
    private static long Splice(Socket socket, int pipeEnd, int length, out int errno)
    {
        SafeHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return LinuxSplice.Move((int)handle.DangerousGetHandle(), pipeEnd, length, out errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Splices from the pipe end <paramref name="pipeEnd"/> into <paramref name="socket"/>.</summary>
    private static long Splice(int pipeEnd, Socket socket, int length, out int errno)
    {
        SafeHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return LinuxSplice.Move(pipeEnd, (int)handle.DangerousGetHandle(), length, out errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static bool NonBlocking(Socket socket)
    {
        SafeHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return LinuxSplice.IsNonBlocking((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
