using System.Net.Sockets;
using SecureChat.Relay.Hosting;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// One direction of a pair: bytes from one socket to the other, verbatim. An idle direction holds
/// no buffer and no pipe (<see cref="SocketInput"/> waits for data; the buffer or pipe is taken only
/// then). One read in flight, and no read while the send is pending: a slow receiver slows the
/// sender through TCP, with no queue in between. A streaming direction (its last read was full)
/// skips that wait and doubles its read, 64 KiB up to 2 MiB, within the <see cref="BufferBudget"/>.
/// On Linux a streaming direction moves the bytes with splice(2) through a kernel pipe instead of
/// copying them through an array (ForwardingDirection.Splice.cs); elsewhere, or when no pipe can be
/// had, it copies. Sends go in slices so the stall check sees progress. The opt-in caps: a read
/// never exceeds the pair's remaining byte allowance, and with a rate cap the next read waits until
/// the bytes sent so far are within the rate. Every byte sent is counted at once
/// (<paramref name="counted"/>: the metrics).
/// </summary>
internal sealed partial class ForwardingDirection(Socket from, Socket to, BufferBudget budget, RelayLimits limits, TimeProvider time, Func<long> allowance, Limits.AddressKey? receiver = null, SplicePipes? pipes = null, Action<long>? counted = null)
{
    /// <summary>The most bytes one send call is given, so a slow but moving receiver shows progress.</summary>
    public const int SendSlice = 256 * 1024;

    /// <summary>After this many bytes forwarded without waiting, the direction lets other work run on its thread.</summary>
    private const long YieldEvery = 16L * 1024 * 1024;

    private long _bytes;
    private long _lastActivity = time.GetTimestamp();
    private long _sendingSince;
    private long _sinceYield;

    /// <summary>Bytes forwarded so far.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The timestamp of the last bytes received or sent.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>While a send waits, the timestamp of its last progress; else 0.</summary>
    public long SendingSince => Volatile.Read(ref _sendingSince);

    /// <summary>The socket bytes come from.</summary>
    public Socket From => from;

    /// <summary>The socket bytes go to.</summary>
    public Socket To => to;

    /// <summary>Forwards until the source's FIN, a failure of either socket, or the pair's byte cap.</summary>
    public async Task<DirectionEnd> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            int maxRead = limits.MaxBytesPerSecond is { } rate ? (int)Math.Clamp(rate, 1024, limits.MaxReadSize) : limits.MaxReadSize;
            int size = Math.Min(limits.InitialReadSize, maxRead);
            long paceDue = 0;
            bool streaming = false;
            while (true)
            {
                if (!streaming)
                {
                    ValueTask<bool> ready = SocketInput.WaitAsync(from, cancellationToken);
                    if (!ready.IsCompleted)
                    {
                        // Idle: nothing to read now, so hold no pipe while waiting.
                        ClosePipe();
                        _sinceYield = 0;
                    }

                    if (!await ready.ConfigureAwait(false))
                    {
                        return DirectionEnd.Fin;
                    }
                }

                long allowed = allowance();
                if (allowed <= 0)
                {
                    return DirectionEnd.CapReached;
                }

                (int moved, int want) = UseSplice() is { } pipe
                    ? await SpliceChunkAsync(pipe, size, allowed, cancellationToken).ConfigureAwait(false)
                    : (Unsupported, 0);
                if (moved == 0 || (moved == NothingReady && !streaming))
                {
                    // TCP urgent data stops splice short of the bytes behind it: it answers EAGAIN
                    // although the wait saw bytes, or 0 if the peer's FIN came too. A receive skips
                    // the urgent byte, as the relay always did: copy this read, which also tells a
                    // real end (0) from one that is not, rather than lose the rest or wait and
                    // splice in a loop that would never end.
                    moved = Unsupported;
                }

                if (moved == Unsupported)
                {
                    (moved, want) = await CopyChunkAsync(size, allowed, cancellationToken).ConfigureAwait(false);
                }

                if (moved == 0)
                {
                    return DirectionEnd.Fin;
                }

                if (moved == NothingReady)
                {
                    streaming = false;
                    continue;
                }

                streaming = moved == want;
                if (streaming && size < maxRead)
                {
                    size = Math.Min(size * 2, maxRead);
                }

                if (limits.MaxBytesPerSecond is { } bytesPerSecond)
                {
                    paceDue = await PaceAsync(paceDue, moved, bytesPerSecond, cancellationToken).ConfigureAwait(false);
                }

                if ((_sinceYield += moved) >= YieldEvery)
                {
                    _sinceYield = 0;
                    await Task.Yield();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            return DirectionEnd.Failed;
        }
        finally
        {
            ClosePipe();
        }
    }

    /// <summary>One read into a rented buffer and its send; the bytes moved (0 at the source's FIN) and the bytes asked for.</summary>
    private async ValueTask<(int Moved, int Wanted)> CopyChunkAsync(int size, long allowed, CancellationToken cancellationToken)
    {
        byte[] buffer = budget.Rent(size, receiver, out int granted);
        try
        {
            int want = (int)Math.Min(granted, allowed);
            int received = await from.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received > 0)
            {
                Volatile.Write(ref _lastActivity, time.GetTimestamp());
                await SendAsync(buffer.AsMemory(0, received), cancellationToken).ConfigureAwait(false);
            }

            return (received, want);
        }
        finally
        {
            budget.Return(buffer, granted, receiver);
        }
    }

    /// <summary>Waits until <paramref name="sent"/> more bytes are within the rate; returns the new due time.</summary>
    private async ValueTask<long> PaceAsync(long due, int sent, long bytesPerSecond, CancellationToken cancellationToken)
    {
        long now = time.GetTimestamp();
        due = Math.Max(due, now) + (long)((double)sent / bytesPerSecond * time.TimestampFrequency);
        if (due > now)
        {
            await Task.Delay(time.GetElapsedTime(now, due), time, cancellationToken).ConfigureAwait(false);
        }

        return due;
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _sendingSince, time.GetTimestamp());
        try
        {
            while (!data.IsEmpty)
            {
                ReadOnlyMemory<byte> slice = data[..Math.Min(data.Length, SendSlice)];
                int sent = await to.SendAsync(slice, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                data = data[sent..];
                Sent(sent);
            }
        }
        finally
        {
            Volatile.Write(ref _sendingSince, 0);
        }
    }

    /// <summary>Counts <paramref name="sent"/> bytes as forwarded: the pair's total, the metrics, and send progress.</summary>
    private void Sent(long sent)
    {
        Interlocked.Add(ref _bytes, sent);
        counted?.Invoke(sent);
        long now = time.GetTimestamp();
        Volatile.Write(ref _sendingSince, now);
        Volatile.Write(ref _lastActivity, now);
    }
}

/// <summary>How a direction ended.</summary>
internal enum DirectionEnd
{
    /// <summary>The source sent FIN after its last byte, and every byte was sent on.</summary>
    Fin,

    /// <summary>A socket failed, or the pair was closed.</summary>
    Failed,

    /// <summary>The pair's byte cap is reached.</summary>
    CapReached,
}
