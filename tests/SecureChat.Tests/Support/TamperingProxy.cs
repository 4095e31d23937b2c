using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SecureChat.Tests.Support;

/// <summary>
/// A man in the middle on loopback: relays whole frames between a client and a server and lets a
/// test rewrite the client→server frame sequence (drop, replay, reorder, flip a bit). Frame 0 is
/// the hello, 1 is msg1, 2 is msg3; transport frames start at index 3.
/// </summary>
internal sealed class TamperingProxy : IAsyncDisposable
{
    public const int FirstTransportFrame = 3;

    private readonly TcpListener _listener = Loopback.Listen();
    private readonly int _serverPort;
    private readonly Func<int, byte[], IEnumerable<byte[]>> _clientToServer;
    private readonly Func<int, byte[], IEnumerable<byte[]>> _serverToClient;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stallServerToClient;
    private Task _run = Task.CompletedTask;

    /// <param name="clientToServer">Given a frame's index and payload, the frames to forward instead (payloads).</param>
    public TamperingProxy(int serverPort, Func<int, byte[], IEnumerable<byte[]>> clientToServer, Func<int, byte[], IEnumerable<byte[]>>? serverToClient = null)
    {
        _serverPort = serverPort;
        _clientToServer = clientToServer;
        _serverToClient = serverToClient ?? ((_, f) => [f]);
        _run = RunAsync();
    }

    public int Port => _listener.Port();

    /// <summary>From now on the proxy stops reading what the server sends: a client that stopped reading.</summary>
    public void StallServerToClient() => _stallServerToClient = true;

    private async Task RunAsync()
    {
        using Socket client = await _listener.AcceptSocketAsync(_stop.Token);
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
        using var clientStream = new NetworkStream(client);
        using var serverStream = new NetworkStream(server);
        Task up = PumpAsync(clientStream, serverStream, server, _clientToServer);
        Task down = PumpAsync(serverStream, clientStream, client, _serverToClient, stallable: true);
        await Task.WhenAll(up, down);
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Socket toSocket, Func<int, byte[], IEnumerable<byte[]>> rewrite, bool stallable = false)
    {
        byte[] header = new byte[2];
        try
        {
            for (int index = 0; ; index++)
            {
                if (stallable && _stallServerToClient)
                {
                    await _stalled.Task.WaitAsync(_stop.Token); // never completes: reading stops here
                }

                if (!await ReadExactlyOrEndAsync(from, header))
                {
                    break;
                }

                byte[] payload = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
                await from.ReadExactlyAsync(payload, _stop.Token);
                foreach (byte[] frame in rewrite(index, payload))
                {
                    byte[] output = new byte[2 + frame.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)frame.Length);
                    frame.CopyTo(output, 2);
                    await to.WriteAsync(output, _stop.Token);
                }
            }

            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side hung up.
        }
    }

    private async Task<bool> ReadExactlyOrEndAsync(NetworkStream stream, byte[] buffer)
    {
        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, _stop.Token);
        return read == buffer.Length;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _run;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }
}
