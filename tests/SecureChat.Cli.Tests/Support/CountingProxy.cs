using System.Net;
using System.Net.Sockets;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// A TCP relay on 127.0.0.1 that forwards every connection to a target port and counts them, so a
/// test can prove that a client connected exactly once (no automatic retry).
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _connections;

    public CountingProxy(int targetPort)
    {
        _listener.Start();
        _serving = Task.Run(async () =>
        {
            var relays = new List<Task>();
            try
            {
                while (true)
                {
                    Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    relays.Add(RelayAsync(client, targetPort));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(relays);
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Stops accepting, after counting any connection still waiting in the backlog.</summary>
    public async Task<int> StopAsync()
    {
        await Task.Delay(300); // a retry would connect right after the failure
        while (_listener.Pending())
        {
            (await _listener.AcceptSocketAsync()).Dispose();
            Interlocked.Increment(ref _connections);
        }

        await _stop.CancelAsync();
        await _serving.WaitAsync(CliProcess.Timeout);
        _listener.Stop();
        return Connections;
    }

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

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        _listener.Stop();
        _stop.Dispose();
    }
}
