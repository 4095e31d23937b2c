using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Support;

/// <summary>
/// A raw TCP client of the relay: sends control frames or any bytes, reads frames and bytes. Every
/// read has a generous guard (<see cref="Guard"/>) so a broken relay fails the test instead of
/// hanging it; nothing is timed.
/// </summary>
internal sealed class TestClient : IDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private TestClient(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<TestClient> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new TestClient(socket);
    }

    public Task SendAsync(RelayMessage message) => SendRawAsync(RelayControl.Encode(message));

    public async Task SendRawAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await Socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next control frame, parsed.</summary>
    public async Task<RelayMessage> ReadMessageAsync()
    {
        byte[] header = await ReadExactlyAsync(2);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        return RelayControl.Parse(await ReadExactlyAsync(length));
    }

    /// <summary>The next frame, or null at the end of the stream.</summary>
    public async Task<RelayMessage?> ReadMessageOrEndAsync()
    {
        byte[] header = new byte[2];
        int got = await ReadAsync(header);
        if (got == 0)
        {
            return null;
        }

        if (got == 1)
        {
            byte[] rest = await ReadExactlyAsync(1);
            header[1] = rest[0];
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        return RelayControl.Parse(await ReadExactlyAsync(length));
    }

    /// <summary>The error code of the next frame, which must be an error.</summary>
    public async Task<string> ReadErrorCodeAsync() => Assert.IsType<RelayError>(await ReadMessageAsync()).Code;

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await ReadAsync(buffer.AsMemory(filled));
            if (n == 0)
            {
                throw new EndOfStreamException($"The relay closed after {filled} of {count} bytes.");
            }

            filled += n;
        }

        return buffer;
    }

    /// <summary>Reads until the end of the stream; true if it ended with a FIN, false on a reset.</summary>
    public async Task<(byte[] Bytes, bool CleanEnd)> ReadToEndAsync()
    {
        using var all = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await ReadAsync(buffer);
                if (n == 0)
                {
                    return (all.ToArray(), true);
                }

                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            return (all.ToArray(), false);
        }
    }

    public async Task<int> ReadAsync(Memory<byte> buffer)
    {
        using var guard = new CancellationTokenSource(Guard);
        return await Socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
    }

    public void Dispose() => Socket.Dispose();
}
