using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SecureChat.Cli.Tests.Support;
using SecureChat.Framing;
using SecureChat.Session;
using SecureChat.Transfer;
using Xunit.Abstractions;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A connected, authenticated peer (XX accepts any key) that floods the listener with requests
/// that each need an answer, while it reads none of the answers. The listener must keep its memory
/// bounded (the answers wait in a bounded outbox; when it is full the session ends) and a SIGTERM
/// must end it within two seconds.
/// </summary>
public partial class FloodTests(ITestOutputHelper log)
{
    private const int Offers = 600_000;
    private const long MemoryLimitKib = 150 * 1024;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    private static long RssKib(int pid)
    {
        try
        {
            string line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return 0; // exited
        }
    }

    [Fact]
    public async Task Offer_flood_from_a_peer_that_stops_reading_keeps_memory_bounded_and_sigterm_ends_the_listener()
    {
        Assert.True(OperatingSystem.IsLinux(), "this test reads /proc and sends SIGTERM: it needs Linux");
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--keep-open", "--ephemeral");
        await using (listener)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var stalling = new StallingStream(new NetworkStream(socket, ownsSocket: true));
            SecureChatSession hostile = await SecureChatSession.ConnectAsync(stalling, new SessionOptions { KeyLogFile = null });
            stalling.Stall(); // from here on, nothing the listener sends is read
            await listener.EventAsync("handshake");

            long peak = 0;
            using var sampling = new CancellationTokenSource();
            Task sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, RssKib(listener.Id));
                    await Task.Delay(20);
                }
            });

            // Every offer gets its own id (odd: the connecting side's), so each one beyond the 64
            // pending ones needs a FILE_REJECT from the listener.
            int sent = 0;
            string sha = new('a', 64);
            var clock = Stopwatch.StartNew();
            try
            {
                for (uint i = 0; i < Offers; i++)
                {
                    byte[] body = FileMessages.Encode(new FileOffer((2 * i) + 1, "f", 1, sha));
                    await hostile.SendRawForTestsAsync((byte)FileMessageType.Offer, body).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                    sent++;
                }
            }
            catch (Exception e) when (e is SecureChatException or InvalidOperationException or IOException)
            {
                // The listener ended the session: the flood is over for this peer.
            }

            // Let the listener work through whatever it still holds, still sampling.
            await Task.Delay(1000);
            long beforeSignal = RssKib(listener.Id);
            var signalled = Stopwatch.StartNew();
            Assert.Equal(0, kill(listener.Id, 15));
            await listener.ExitCodeAsync();
            signalled.Stop();
            await sampling.CancelAsync();
            await sampler;
            await hostile.DisposeAsync();

            log.WriteLine($"{sent:N0} offers sent in {clock.Elapsed.TotalSeconds:0.0} s; listener peak RSS {peak / 1024} MiB, {beforeSignal / 1024} MiB before SIGTERM; exited {signalled.ElapsedMilliseconds} ms after it");
            Assert.InRange(peak, 1, MemoryLimitKib);
            Assert.InRange(signalled.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
            Assert.Contains("\"protocol\"", listener.Stdout, StringComparison.Ordinal); // the session ended as a protocol violation

            // Thousands of refused offers, one warning: a flood of offers is not a flood of lines.
            string everything = listener.Stdout + listener.Stderr;
            Assert.Equal(1, everything.Split("files at once").Length - 1);
        }
    }
}
