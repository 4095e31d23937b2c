using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SecureChat.Identity;
using SecureChat.Session;

namespace SecureChat.Cli.Bench;

/// <summary>
/// Runs a listener and a connector in this process over loopback with real sockets, full Noise XX
/// handshakes between two persistent identities and the per-message rekey, as users run them.
/// Everything goes through the library's public API. Round trips, one-way messages and bulk each
/// run right after their raw-TCP baseline (<see cref="RawTcpBench"/>: the same listener, sockets
/// and frames without cryptography), so both see the same machine.
/// </summary>
internal sealed class BenchRunner(TimeSpan phase, int idleSessions, Action<string> progress) : IDisposable
{
    private const int TextBytes = 100;
    private readonly IdentityKeyPair _serverIdentity = IdentityKeyPair.Generate();
    private readonly IdentityKeyPair _clientIdentity = IdentityKeyPair.Generate();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private SessionOptions ServerOptions() => new() { Identity = _serverIdentity, KeyLogFile = null };

    private SessionOptions ClientOptions() => new() { Identity = _clientIdentity, KeyLogFile = null };

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        _listener.Start(backlog: 1024);

        // Memory first, while the heap holds nothing from the other phases.
        progress($"{idleSessions:N0} idle sessions…");
        var (kib, heapKib) = await IdleSessionMemoryAsync(cancellationToken).ConfigureAwait(false);
        progress("handshakes…");
        List<double> handshakes = await HandshakeLatencyAsync(cancellationToken).ConfigureAwait(false);
        double handshakesPerSecond = await HandshakeRateAsync(cancellationToken).ConfigureAwait(false);

        // Each session phase right after its raw-TCP baseline, so both see the same machine.
        var tcp = new RawTcpBench(phase, StreamPairAsync);
        progress("round trips (raw TCP, then securechat)…");
        List<double> tcpRtts = await tcp.RoundTripsAsync(TextBytes, cancellationToken).ConfigureAwait(false);
        List<double> rtts = await RoundTripsAsync(cancellationToken).ConfigureAwait(false);
        progress("one-way messages (raw TCP, then securechat)…");
        double tcpMessages = await tcp.OneWayAsync(TextBytes, cancellationToken).ConfigureAwait(false);
        double messages = await OneWayAsync(TextBytes, cancellationToken).ConfigureAwait(false);
        double tcpSocketBulk, tcpBulk, bulk;
        using (BenchFiles files = BenchFiles.Create(phase))
        {
            progress($"bulk: {files.Size / 1e6:0} MB files in {Path.GetDirectoryName(files.Directory)} (raw TCP memory → memory, raw TCP file → file, securechat file transfer)…");
            tcpSocketBulk = await tcp.BulkAsync(files, touchFiles: false, cancellationToken).ConfigureAwait(false);
            tcpBulk = await tcp.BulkAsync(files, touchFiles: true, cancellationToken).ConfigureAwait(false);
            bulk = await FileBulkAsync(files, cancellationToken).ConfigureAwait(false);
        }

        progress("bulk texts…");
        double textBulk = await OneWayAsync(SecureChatSession.MaxTextBytes, cancellationToken).ConfigureAwait(false) * SecureChatSession.MaxTextBytes / 1e6;
        return new BenchResult(
            BenchResult.Percentile(handshakes, 0.50), BenchResult.Percentile(handshakes, 0.99), handshakesPerSecond,
            BenchResult.Percentile(rtts, 0.50), BenchResult.Percentile(rtts, 0.99), messages, bulk, textBulk, kib, heapKib,
            new BenchBaselines(BenchResult.Percentile(tcpRtts, 0.50), tcpMessages, tcpBulk, tcpSocketBulk));
    }

    /// <summary>A connected pair of plain sockets on the same listener, set up as the session's (no delay both ways).</summary>
    private async Task<(NetworkStream Client, NetworkStream Server)> StreamPairAsync(CancellationToken cancellationToken)
    {
        Task<Socket> accept = _listener.AcceptSocketAsync(cancellationToken).AsTask();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        Socket server = await accept.ConfigureAwait(false);
        server.NoDelay = true;
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    private async Task<double> FileBulkAsync(BenchFiles files, CancellationToken cancellationToken)
    {
        var (client, server) = await PairAsync(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            return await FileTransferBench.RunAsync(client, server, files, phase, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A connected pair: the client's and the server's end of one conversation.</summary>
    private async Task<(SecureChatSession Client, SecureChatSession Server)> PairAsync(CancellationToken cancellationToken)
    {
        Task<SecureChatSession> accept = AcceptAsync(cancellationToken);
        SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", Port, ClientOptions(), cancellationToken).ConfigureAwait(false);
        return (client, await accept.ConfigureAwait(false));
    }

    private async Task<SecureChatSession> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
        socket.NoDelay = true;
        return await SecureChatSession.AcceptAsync(new NetworkStream(socket, ownsSocket: true), ServerOptions(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>New connections one after another: latency from connect() to an authenticated session on both sides.</summary>
    private async Task<List<double>> HandshakeLatencyAsync(CancellationToken cancellationToken)
    {
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed < phase || samples.Count < 20)
        {
            long start = Stopwatch.GetTimestamp();
            var (client, server) = await PairAsync(cancellationToken).ConfigureAwait(false);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await Task.WhenAll(client.DisposeAsync().AsTask(), server.DisposeAsync().AsTask()).ConfigureAwait(false);
        }

        return samples;
    }

    /// <summary>
    /// Handshakes completed per second with as many connections in flight as there are cores (the
    /// machine's capacity for new connections); the closes run on the side, not counted.
    /// </summary>
    private async Task<double> HandshakeRateAsync(CancellationToken cancellationToken)
    {
        int completed = 0;
        var closes = new List<Task>();
        var clock = Stopwatch.StartNew();
        Task[] workers = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < phase)
            {
                var (client, server) = await PairAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref completed);
                lock (closes)
                {
                    closes.Add(Task.WhenAll(client.DisposeAsync().AsTask(), server.DisposeAsync().AsTask()));
                }
            }
        }, cancellationToken))];
        await Task.WhenAll(workers).ConfigureAwait(false);
        double rate = completed / clock.Elapsed.TotalSeconds;
        await Task.WhenAll(closes).ConfigureAwait(false);
        return rate;
    }

    /// <summary>The server echoes each text; each round trip is timed.</summary>
    private async Task<List<double>> RoundTripsAsync(CancellationToken cancellationToken)
    {
        var (client, server) = await PairAsync(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            Task echo = EchoAsync(server, cancellationToken);
            string text = new('r', TextBytes);
            var samples = new List<double>();
            var total = Stopwatch.StartNew();
            while (total.Elapsed < phase)
            {
                long start = Stopwatch.GetTimestamp();
                await client.SendTextAsync(text, cancellationToken).ConfigureAwait(false);
                _ = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }

            await client.CloseAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await echo.ConfigureAwait(false);
            return samples[Math.Min(100, samples.Count / 10)..]; // without the warm-up
        }
    }

    private static async Task EchoAsync(SecureChatSession server, CancellationToken cancellationToken)
    {
        try
        {
            while (await server.ReceiveAsync(cancellationToken).ConfigureAwait(false) is TextReceived text)
            {
                await server.SendTextAsync(text.Text, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The client closed.
        }
    }

    /// <summary>Messages of <paramref name="size"/> bytes sent as fast as the session takes them; returns messages per second received.</summary>
    private async Task<double> OneWayAsync(int size, CancellationToken cancellationToken)
    {
        var (client, server) = await PairAsync(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            string text = new('m', size);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task sending = Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await client.SendTextAsync(text, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SecureChatException or InvalidOperationException)
                {
                    // Closed at the end.
                }
            }, CancellationToken.None);

            // Warm up, then count what arrives during the phase.
            for (int i = 0; i < 1000; i++)
            {
                await server.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }

            long received = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < phase)
            {
                await server.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                received++;
            }

            double rate = received / clock.Elapsed.TotalSeconds;
            await stop.CancelAsync().ConfigureAwait(false);

            // Read what is still queued, so the server reaches the CLOSE at once (instead of both ends lingering).
            Task draining = DrainAsync(server, cancellationToken);
            await client.CloseAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await sending.ConfigureAwait(false);
            await draining.ConfigureAwait(false);
            return rate;
        }
    }

    private static async Task DrainAsync(SecureChatSession server, CancellationToken cancellationToken)
    {
        try
        {
            while (await server.ReceiveAsync(cancellationToken).ConfigureAwait(false) is not SessionClosed)
            {
                // Discard.
            }
        }
        catch (SecureChatException)
        {
            // The session ended anyway.
        }
    }

    /// <summary>
    /// Opens <c>idleSessions</c> sessions (half as many pairs) and divides the growth of the process's
    /// resident private memory (<see cref="ProcessMemory"/>) by their number; also the growth of the live
    /// managed heap alone. Sockets, read loops, keys and buffers are all in the figure. Before the
    /// baseline, as many sessions are opened and closed: what every session shares and the process keeps
    /// after they close (thread-pool threads, JIT-compiled code, the GC's regions, malloc arenas, pooled
    /// buffers) is then in the baseline, not spread over the sessions of one run or another.
    /// </summary>
    private async Task<(double KiB, double HeapKiB)> IdleSessionMemoryAsync(CancellationToken cancellationToken)
    {
        var pairs = new List<(SecureChatSession Client, SecureChatSession Server)>(idleSessions / 2);
        try
        {
            await OpenIdleAsync(pairs, cancellationToken).ConfigureAwait(false);
            await CloseIdleAsync(pairs).ConfigureAwait(false);
            var (residentBefore, heapBefore) = Settle();
            await OpenIdleAsync(pairs, cancellationToken).ConfigureAwait(false);
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            var (residentAfter, heapAfter) = Settle();
            int sessions = pairs.Count * 2;
            return ((residentAfter - residentBefore) / 1024.0 / sessions, (heapAfter - heapBefore) / 1024.0 / sessions);
        }
        finally
        {
            await CloseIdleAsync(pairs).ConfigureAwait(false);
        }
    }

    private async Task OpenIdleAsync(List<(SecureChatSession Client, SecureChatSession Server)> pairs, CancellationToken cancellationToken)
    {
        for (int i = 0; i < idleSessions / 2; i++)
        {
            pairs.Add(await PairAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task CloseIdleAsync(List<(SecureChatSession Client, SecureChatSession Server)> pairs)
    {
        await Task.WhenAll(pairs.SelectMany(p => new[] { p.Client.DisposeAsync().AsTask(), p.Server.DisposeAsync().AsTask() })).ConfigureAwait(false);
        pairs.Clear();
    }

    /// <summary>
    /// Resident private memory and live managed heap after full, compacting collections that also give
    /// the GC's free memory back to the system (so its commit ahead of use is not counted).
    /// </summary>
    private static (long Resident, long Heap) Settle()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (ProcessMemory.ResidentPrivateBytes(), GC.GetTotalMemory(forceFullCollection: false));
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
        _serverIdentity.Dispose();
        _clientIdentity.Dispose();
    }
}
