using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SecureChat.Cli.Tests.Support;
using SecureChat.Session;
using Xunit.Abstractions;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A `listen --keep-open` server attacked the way real servers are: handshakes that never finish,
/// garbage, peers killed in the middle of a frame, and many sessions in a row. It must keep serving,
/// and its file descriptors and memory must come back to where they were. Scaled to seconds;
/// SECURECHAT_FAULT_COUNT=1000 runs the full size (docs/PERFORMANCE.md).
/// </summary>
public class FaultTests(ITestOutputHelper log)
{
    private static int Count =>
        int.TryParse(Environment.GetEnvironmentVariable("SECURECHAT_FAULT_COUNT"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 30;

    /// <summary>
    /// The listener's handshake time limit: short, so silent handshakes free their slots quickly,
    /// but long enough for a real handshake in a freshly started listener on a loaded machine.
    /// </summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);

    private static readonly byte[] Hello = [0, 7, (byte)'S', (byte)'C', (byte)'H', (byte)'A', (byte)'T', 1, 1];

    /// <summary>Open sockets, all descriptors, and resident memory of a process.</summary>
    private static (int Sockets, int Fds, long RssKib) Measure(int pid)
    {
        string[] entries = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
        int sockets = entries.Count(f => (new FileInfo(f).LinkTarget ?? "").StartsWith("socket:", StringComparison.Ordinal));
        int fds = entries.Length;
        string rss = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return (sockets, fds, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Connects as a client would: a listener that is still finishing the previous peer says "busy"; try again.</summary>
    private static async Task<(SecureChatSession Session, Socket Socket)> ConnectAsync(int port, Func<Stream, Stream>? wrap = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            Socket socket = await RawAsync(port);
            try
            {
                Stream stream = new NetworkStream(socket, ownsSocket: true);
                return (await SecureChatSession.ConnectAsync(wrap?.Invoke(stream) ?? stream, new SessionOptions { KeyLogFile = null }), socket);
            }
            catch (PeerRefusedException e) when (e.Code == RefusalCode.Busy && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task ChatOnceAsync(int port, CliProcess listener, string text)
    {
        var (client, _) = await ConnectAsync(port);
        await using var owned = client;
        await client.SendTextAsync(text);
        await listener.LineAsync(l => l.Contains("\"received\"", StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));
        await client.CloseAsync();
        await listener.LineAsync(l => l.Contains("\"closed\"", StringComparison.Ordinal));
    }

    private static async Task<Socket> RawAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Handshakes that never finish: all at once, each sending only the hello, then silence until the handshake timeout.</summary>
    private static async Task SilentAsync(int port, int count)
    {
        var silent = new List<Socket>();
        for (int i = 0; i < count; i++)
        {
            Socket socket = await RawAsync(port);
            await socket.SendAsync(Hello);
            silent.Add(socket);
        }

        await Task.Delay(HandshakeTimeout + TimeSpan.FromMilliseconds(500)); // the handshake timeout frees the 8 being handshaken; the rest were refused as busy
        silent.ForEach(s => s.Dispose());
    }

    /// <summary>Random bytes, one connection after another, each read until the listener hangs up.</summary>
    private static async Task GarbageAsync(int port, int count, Random random)
    {
        for (int i = 0; i < count; i++)
        {
            using Socket socket = await RawAsync(port);
            byte[] garbage = new byte[random.Next(1, 5000)];
            random.NextBytes(garbage);
            await socket.SendAsync(garbage);
            socket.Shutdown(SocketShutdown.Send);
            byte[] sink = new byte[256];
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                while (await socket.ReceiveAsync(sink, SocketFlags.None, wait.Token) > 0)
                {
                    // Whatever the listener answers (SCERR), until it hangs up.
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Reset: also an answer.
            }
        }
    }

    /// <summary>Peers killed in the middle of a frame: a real session, then half a frame and a reset.</summary>
    private static async Task KilledAsync(int port, CliProcess listener, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var (client, socket) = await ConnectAsync(port);
            await socket.SendAsync(new byte[] { 0x40, 0x00, 1, 2, 3 });
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
            await client.DisposeAsync();
            await listener.LineAsync(l => l.Contains("\"closed\"", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Peers that stop reading while the listener has a lot to say: its writes must fail after
    /// --idle-timeout (the connection counts as lost), not wait or buffer without bound.
    /// </summary>
    private static async Task StalledAsync(int port, CliProcess listener, int count)
    {
        string line = new('s', 60_000);
        for (int i = 0; i < count; i++)
        {
            StallingStream? stalling = null;
            var (client, _) = await ConnectAsync(port, stream => stalling = new StallingStream(stream));
            stalling!.Stall();
            await listener.LineAsync(l => l.Contains("\"handshake\"", StringComparison.Ordinal));

            // 12 MB to a peer that reads nothing: far more than the kernel's socket buffers hold.
            Task typing = Task.Run(async () =>
            {
                for (int j = 0; j < 200; j++)
                {
                    await listener.WriteLineAsync(line);
                }
            });
            await listener.LineAsync(l => l.Contains("\"closed\"", StringComparison.Ordinal) && l.Contains("connection-lost", StringComparison.Ordinal));
            await typing.WaitAsync(CliProcess.Timeout); // the listener drains the rest while it waits for the next peer
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Keep_open_listener_survives_abuse_and_returns_to_its_baseline()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // reads /proc
        }

        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--keep-open", "--ephemeral", "--handshake-timeout", HandshakeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--idle-timeout", "2");
        await using (listener)
        {
            // Warm-up: every path once (the first error also loads the runtime's stack-trace support).
            await ChatOnceAsync(port, listener, "warm-up");
            await SilentAsync(port, 2);
            await GarbageAsync(port, 1, new Random(1));
            await KilledAsync(port, listener, 1);
            await StalledAsync(port, listener, 1);
            await ChatOnceAsync(port, listener, "warm-up 2");
            var baseline = Measure(listener.Id);

            await SilentAsync(port, Count);
            await GarbageAsync(port, Count, new Random(7));
            await KilledAsync(port, listener, Math.Max(1, Count / 3));
            await StalledAsync(port, listener, Math.Max(2, Count / 100));
            for (int i = 0; i < Count; i++)
            {
                await ChatOnceAsync(port, listener, $"session {i}");
            }

            // Still serving; and back to the baseline once the dust settles.
            await ChatOnceAsync(port, listener, "still here");
            var after = Measure(listener.Id);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (after.Sockets > baseline.Sockets && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                after = Measure(listener.Id);
            }

            log.WriteLine($"{Count} of each: sockets {baseline.Sockets} -> {after.Sockets}, descriptors {baseline.Fds} -> {after.Fds}, RSS {baseline.RssKib} KiB -> {after.RssKib} KiB");
            Assert.InRange(after.Sockets, 0, baseline.Sockets);

            // The runtime opens a few descriptors lazily (symbols for a first stack trace, its own
            // event and timer handles as threads come and go; 9 seen on a fresh machine): a
            // handful, fewer than the connections of any one kind, so a leak per connection fails.
            Assert.InRange(after.Fds, 0, baseline.Fds + Math.Min(16, Count / 2));
            Assert.InRange(after.RssKib, 0, baseline.RssKib + 32 * 1024);
        }
    }
}
