using System.Net.Sockets;
using SecureChat.Relay.Hosting;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// One direction of a pair: bytes from one socket to the other, verbatim. An idle direction holds
/// no buffer (<see cref="SocketInput"/> waits for data; the buffer is rented only then and returned
/// after the send). One read in flight, and no read while the send is pending: a slow receiver slows the
/// sender through TCP, with no queue in between. A streaming direction (its last read filled the
/// buffer) skips that wait and doubles its read, 64 KiB up to 2 MiB, within the
/// <see cref="BufferBudget"/>. Sends go in slices so the stall check sees progress. The opt-in caps:
/// a read never exceeds the pair's remaining byte allowance, and with a rate cap the next read
/// waits until the bytes sent so far are within the rate.
/// </summary>
internal sealed class ForwardingDirection(Socket from, Socket to, BufferBudget budget, RelayLimits limits, TimeProvider time, Func<long> allowance, Limits.AddressKey? receiver = null)
{
    /// <summary>The most bytes one send call is given, so a slow but moving receiver shows progress.</summary>
    public const int SendSlice = 256 * 1024;

    private long _bytes;
    private long _lastActivity = time.GetTimestamp();
    private long _sendingSince;

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
                if (!streaming && !await SocketInput.WaitAsync(from, cancellationToken).ConfigureAwait(false))
                {
                    return DirectionEnd.Fin;
                }

                long allowed = allowance();
                if (allowed <= 0)
                {
                    return DirectionEnd.CapReached;
                }

                byte[] buffer = budget.Rent(size, receiver, out int granted);
                int received;
                try
                {
                    int want = (int)Math.Min(granted, allowed);
                    received = await from.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    if (received == 0)
                    {
                        return DirectionEnd.Fin;
                    }

                    Volatile.Write(ref _lastActivity, time.GetTimestamp());
                    await SendAsync(buffer.AsMemory(0, received), cancellationToken).ConfigureAwait(false);
                    streaming = received == want;
                }
                finally
                {
                    budget.Return(buffer, granted, receiver);
                }

                if (streaming && size < maxRead)
                {
                    size = Math.Min(size * 2, maxRead);
                }

                if (limits.MaxBytesPerSecond is { } bytesPerSecond)
                {
                    paceDue = await PaceAsync(paceDue, received, bytesPerSecond, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            return DirectionEnd.Failed;
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
                Interlocked.Add(ref _bytes, sent);
                long now = time.GetTimestamp();
                Volatile.Write(ref _sendingSince, now);
                Volatile.Write(ref _lastActivity, now);
            }
        }
        finally
        {
            Volatile.Write(ref _sendingSince, 0);
        }
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
