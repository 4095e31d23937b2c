using System.Net.Sockets;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// One direction of a pair: bytes from one socket to the other, verbatim. An idle direction holds
/// no buffer (a zero-byte receive waits for data; the buffer is rented only then and returned after
/// the send). One read in flight, and no read while the send is pending: a slow receiver slows the
/// sender through TCP, with no queue in between. A streaming direction (its last read filled the
/// buffer) skips the zero-byte receive and doubles its read, 64 KiB up to 2 MiB, within the
/// <see cref="BufferBudget"/>. Sends go in slices so the stall check sees progress.
/// </summary>
internal sealed class ForwardingDirection(Socket from, Socket to, BufferBudget budget, RelayLimits limits, TimeProvider time)
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

    /// <summary>Forwards until the source's FIN (true) or a failure of either socket (false).</summary>
    public async Task<bool> RunAsync()
    {
        try
        {
            int size = limits.InitialReadSize;
            bool streaming = false;
            while (true)
            {
                if (!streaming)
                {
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                byte[] buffer = budget.Rent(size, out int granted);
                int received;
                try
                {
                    received = await from.ReceiveAsync(buffer.AsMemory(0, granted), SocketFlags.None).ConfigureAwait(false);
                    if (received == 0)
                    {
                        return true;
                    }

                    Volatile.Write(ref _lastActivity, time.GetTimestamp());
                    await SendAsync(buffer.AsMemory(0, received)).ConfigureAwait(false);
                }
                finally
                {
                    budget.Return(buffer, granted);
                }

                streaming = received == granted;
                if (streaming && size < limits.MaxReadSize)
                {
                    size = Math.Min(size * 2, limits.MaxReadSize);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        Volatile.Write(ref _sendingSince, time.GetTimestamp());
        try
        {
            while (!data.IsEmpty)
            {
                ReadOnlyMemory<byte> slice = data[..Math.Min(data.Length, SendSlice)];
                int sent = await to.SendAsync(slice, SocketFlags.None).ConfigureAwait(false);
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
