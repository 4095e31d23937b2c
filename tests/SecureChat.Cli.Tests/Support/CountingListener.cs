using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// A listener on 127.0.0.1 that hands every connection to a handler and counts the connections, so
/// a test can prove a client connected exactly once (no automatic retry). Stopping first counts what
/// is still waiting in the backlog, so a late retry is not missed.
/// </summary>
internal sealed class CountingListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _connections;

    public CountingListener(Func<Socket, Task> handle)
    {
        _listener.Start();
        _serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            try
            {
                while (true)
                {
                    Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    handlers.Add(handle(socket));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(handlers);
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Connections accepted so far (plus any still waiting in the backlog once stopped).</summary>
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
