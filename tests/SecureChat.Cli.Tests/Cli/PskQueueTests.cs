using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A passphrase listener runs one passphrase handshake at a time (docs/PROTOCOL.md §8). Idle or
/// abandoned connections must neither lock the right passphrase out nor count as failed attempts
/// (which would grow the pause): a turn is waited for only within the handshake time limit, and one
/// source may have one passphrase handshake queued or running; the others are refused as busy.
/// (Found by a review: before the fix, two idle sockets locked a friend out and the friend's dead
/// attempt was then counted as a failure.)
/// </summary>
public class PskQueueTests
{
    private static async Task<Socket> FromAsync(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    [Fact]
    public async Task Idle_connections_from_one_source_are_refused_as_busy_and_never_counted_and_a_friend_still_chats()
    {
        using var serverHome = new TempHome();
        using var friendHome = new TempHome();
        var env = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "right" };
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, env, "--psk", "--keep-open", "--handshake-timeout", "2");
        await using (listener)
        {
            IPAddress attacker = IPAddress.Parse("127.0.0.9");
            using Socket idle = await FromAsync(attacker, port);       // takes the passphrase turn, sends nothing
            await Task.Delay(200);
            using Socket second = await FromAsync(attacker, port);     // same source: refused as busy

            // The busy refusal waits briefly for a hello, then comes as a REFUSE frame with code 4.
            using var stream = new NetworkStream(second);
            byte[] header = new byte[3];
            await stream.ReadExactlyAsync(header).AsTask().WaitAsync(CliProcess.Timeout);
            Assert.Equal(0x04, header[2]); // REFUSE
            byte[] rest = new byte[BinaryPrimitives.ReadUInt16BigEndian(header) - 1];
            await stream.ReadExactlyAsync(rest).AsTask().WaitAsync(CliProcess.Timeout);
            Assert.Equal(4, rest[0]); // busy

            // A friend from another source gets the turn once the idle one's time is up, and chats.
            await using CliProcess friend = Launch.Connect(friendHome.Path, port, env, "--psk");
            await friend.EventAsync("handshake");
            await listener.EventAsync("handshake");
            await friend.WriteLineAsync("made it");
            Assert.Equal("made it", (await listener.EventAsync("received")).GetProperty("text").GetString());
            friend.CloseInput();
            Assert.Equal(0, await friend.ExitCodeAsync());
            Assert.DoesNotContain("failed passphrase attempt", listener.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_replayed_hello_and_message_1_that_hangs_up_is_not_a_failed_attempt()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var env = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "right" };
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, env, "--psk", "--keep-open");
        await using (listener)
        {
            // Capture a real HELLO + message 1 by letting a client start against a socket we read.
            using var capture = new TcpListener(IPAddress.Loopback, 0);
            capture.Start();
            await using (CliProcess client = Launch.Connect(clientHome.Path, ((IPEndPoint)capture.LocalEndpoint).Port, env, "--psk"))
            {
                using Socket captured = await capture.AcceptSocketAsync().WaitAsync(CliProcess.Timeout);
                byte[] buffer = new byte[4096];
                int total = 0;
                while (total < 2 || total < ExpectedLength(buffer, total))
                {
                    total += await captured.ReceiveAsync(buffer.AsMemory(total)).AsTask().WaitAsync(CliProcess.Timeout);
                }

                for (int i = 0; i < 3; i++)
                {
                    using Socket replay = await FromAsync(IPAddress.Parse($"127.0.0.{20 + i}"), port);
                    await replay.SendAsync(buffer.AsMemory(0, ExpectedLength(buffer, total)));
                    replay.Shutdown(SocketShutdown.Both);
                }
            }

            // The listener is still quiet about failures, and a real client still gets in.
            await using CliProcess friend = Launch.Connect(clientHome.Path, port, env, "--psk");
            JsonElement handshake = await friend.EventAsync("handshake");
            Assert.Equal("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256", handshake.GetProperty("protocol").GetString());
            friend.CloseInput();
            Assert.Equal(0, await friend.ExitCodeAsync());
            Assert.DoesNotContain("failed passphrase attempt", listener.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>The length of HELLO + message 1 once both headers are in (or a large number until then).</summary>
    private static int ExpectedLength(byte[] buffer, int have)
    {
        if (have < 2)
        {
            return int.MaxValue;
        }

        int hello = 2 + BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (have < hello + 2)
        {
            return hello + 2;
        }

        return hello + 2 + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(hello));
    }
}
