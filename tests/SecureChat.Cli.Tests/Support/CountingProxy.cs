using System.Net;
using System.Net.Sockets;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// A TCP relay on 127.0.0.1 that forwards every connection to a target port and counts them, so a
/// test can prove that a client connected exactly once (no automatic retry).
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly CountingListener _listener;

    public CountingProxy(int targetPort) => _listener = new CountingListener(client => RelayAsync(client, targetPort));

    public int Port => _listener.Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => _listener.Connections;

    /// <summary>Stops accepting, after counting any connection still waiting in the backlog.</summary>
    public Task<int> StopAsync() => _listener.StopAsync();

    private static async Task RelayAsync(Socket client, int targetPort)
    {
        using (client)
        using (var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, targetPort);
                await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
            }
            catch (SocketException)
            {
                // The target is gone: the client sees the connection close.
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // One side reset: the other pump ends too once its socket is disposed.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
