using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;
using SecureChat.Session;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A listener handshakes with several connections at once: an idle, broken or unauthorized one
/// cannot hold the only slot or end the listener; the first peer to authenticate gets the chat.
/// </summary>
public class ListenContestTests
{
    private static Dictionary<string, string> Passphrase(string value) => new() { ["SECURECHAT_PASSPHRASE"] = value };

    private static async Task<Socket> RawAsync(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0)); // all of 127.0.0.0/8 is this machine: another source address
        }

        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Reads until the listener closes the connection (0 bytes or a reset); false if it is still open after the wait.</summary>
    private static async Task<bool> ClosedByListenerAsync(Socket socket)
    {
        byte[] sink = new byte[256];
        using var wait = new CancellationTokenSource(CliProcess.Timeout);
        try
        {
            while (await socket.ReceiveAsync(sink, SocketFlags.None, wait.Token) > 0)
            {
                // An SCERR, if any.
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A v2 HELLO and a real message 1 (XX mode), then nothing once message 2 has begun to arrive: a handshake in progress.</summary>
    private static async Task<Socket> StalledAfterMsg2Async(int port)
    {
        Socket socket = await RawAsync(port);
        byte[] hello = SecureChat.Framing.Hello.Create(SecureChat.Framing.Hello.ModeXX);
        using var identity = SecureChat.Crypto.X25519KeyPair.Generate();
        using var state = new SecureChat.Noise.HandshakeState(SecureChat.Noise.HandshakePattern.XXhfs, initiator: true, hello, identity);
        byte[] message = new byte[4096];
        int length = state.WriteMessage(new byte[32], message);
        await socket.SendAsync((byte[])[
            .. SecureChat.Framing.Frame.Create(SecureChat.Framing.FrameKind.Hello, hello),
            .. SecureChat.Framing.Frame.Create(SecureChat.Framing.FrameKind.Handshake, message.AsSpan(0, length))]);
        using var wait = new CancellationTokenSource(CliProcess.Timeout);
        byte[] header = new byte[3];
        Assert.True(await socket.ReceiveAsync(header, SocketFlags.None, wait.Token) > 0); // message 2's header
        return socket;
    }

    /// <summary>A real client chats with the listener and ends the chat; returns the client's exit code.</summary>
    private static async Task ChatAsync(CliProcess listener, int port, string home, IDictionary<string, string>? environment = null, params string[] extra)
    {
        await using CliProcess client = Launch.Connect(home, port, environment, extra);
        await client.EventAsync("handshake");
        await listener.EventAsync("handshake");
        await client.WriteLineAsync("hello from the real peer");
        Assert.Equal("hello from the real peer", (await listener.EventAsync("received")).GetProperty("text").GetString());
        client.CloseInput();
        Assert.Equal(0, await client.ExitCodeAsync());
    }

    [Fact]
    public async Task An_idle_connection_does_not_keep_a_real_peer_waiting()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--handshake-timeout", "60");
        await using (listener)
        using (Socket idle = await RawAsync(port))
        {
            // The idle connection is accepted and stays open; a real client gets a chat at once, not "busy".
            await using (CliProcess client = Launch.Connect(clientHome.Path, port))
            {
                string first = await client.LineAsync(l => l.Contains("\"event\":\"handshake\"", StringComparison.Ordinal) || l.Contains("\"event\":\"error\"", StringComparison.Ordinal));
                Assert.Contains("\"event\":\"handshake\"", first, StringComparison.Ordinal);
                string peer = (await listener.EventAsync("connected")).GetProperty("peer").GetString()!;
                Assert.NotEqual($"127.0.0.1:{((IPEndPoint)idle.LocalEndPoint!).Port}", peer); // the chat is with the client
                await client.WriteLineAsync("not kept waiting");
                Assert.Equal("not kept waiting", (await listener.EventAsync("received")).GetProperty("text").GetString());
                client.CloseInput();
                Assert.Equal(0, await client.ExitCodeAsync());
            }

            // Still harmless: the listener stopped that handshake, and ends with the chat's exit code.
            Assert.True(await ClosedByListenerAsync(idle));
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Theory]
    [InlineData("garbage", "handshake")]
    [InlineData("passphrase-mode-mismatch", "auth-failed")]
    [InlineData("unauthorized", "auth-failed")]
    public async Task A_failed_handshake_does_not_end_a_listener_that_has_not_chatted(string bad, string code)
    {
        using var serverHome = new TempHome();
        using var friendHome = new TempHome();
        using var strangerHome = new TempHome();
        // A wrong passphrase is not among these: it ends a one-shot listener (one passphrase, one
        // attempt), see A_wrong_passphrase_ends_a_one_shot_listener_and_keep_open_goes_on_after_a_pause.
        var listenArgs = new List<string>();
        if (bad == "unauthorized")
        {
            await using CliProcess id = CliProcess.Start(friendHome.Path, null, "id", "--json");
            string friend = JsonDocument.Parse(await id.LineAsync(_ => true)).RootElement.GetProperty("fingerprint").GetString()!;
            Assert.Equal(0, await id.ExitCodeAsync());
            File.WriteAllLines(serverHome.File("authorized"), [friend]);
            listenArgs.AddRange(["--authorized-peers", serverHome.File("authorized")]);
        }

        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, [.. listenArgs]);
        await using (listener)
        {
            if (bad == "garbage")
            {
                using Socket garbage = await RawAsync(port);
                await garbage.SendAsync(new byte[] { 0, 7, (byte)'G', (byte)'A', (byte)'R', (byte)'B', (byte)'A', (byte)'G', (byte)'E' });
                garbage.Shutdown(SocketShutdown.Send);
                Assert.True(await ClosedByListenerAsync(garbage));
            }
            else
            {
                await using CliProcess stranger = bad switch
                {
                    "passphrase-mode-mismatch" => Launch.Connect(strangerHome.Path, port, Passphrase("pw"), "--psk"),
                    _ => Launch.Connect(strangerHome.Path, port),
                };
                Assert.Equal(3, await stranger.ExitCodeAsync());
            }

            JsonElement failed = await listener.EventAsync("handshake-failed");
            Assert.Equal(code, failed.GetProperty("code").GetString());
            Assert.StartsWith("127.0.0.1:", failed.GetProperty("peer").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(failed.GetProperty("message").GetString()));

            // Still listening: the real peer chats, and the listener exits with that chat's code.
            await ChatAsync(listener, port, friendHome.Path);
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task A_wrong_passphrase_ends_a_one_shot_listener_with_exit_3()
    {
        using var serverHome = new TempHome();
        using var strangerHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("right"), "--psk");
        await using (listener)
        {
            await using (CliProcess stranger = Launch.Connect(strangerHome.Path, port, Passphrase("wrong"), "--psk"))
            {
                Assert.Equal(3, await stranger.ExitCodeAsync());
            }

            // One passphrase, one attempt (docs/PROTOCOL.md §8): no next connection gets to guess again.
            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("auth-failed", error.GetProperty("code").GetString());
            string message = error.GetProperty("message").GetString()!;
            Assert.StartsWith("Authentication failed", message, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1:", message, StringComparison.Ordinal);
            Assert.Contains("used up", message, StringComparison.Ordinal);
            Assert.Equal(3, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task A_keep_open_psk_listener_goes_on_after_a_wrong_passphrase_pauses_and_then_chats()
    {
        using var serverHome = new TempHome();
        using var strangerHome = new TempHome();
        using var friendHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("right"), "--psk", "--keep-open");
        await using (listener)
        {
            await using (CliProcess stranger = Launch.Connect(strangerHome.Path, port, Passphrase("wrong"), "--psk"))
            {
                Assert.Equal(3, await stranger.ExitCodeAsync());
            }

            JsonElement failed = await listener.EventAsync("handshake-failed");
            Assert.Equal("auth-failed", failed.GetProperty("code").GetString());
            Assert.Contains("used up", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
            await listener.StderrContainsAsync("1 failed passphrase attempt in a row: the next passphrase handshake waits 1 s");

            // The right passphrase still gets a chat once the pause is over (docs/PROTOCOL.md §8; the
            // lengths of the pauses are PskBackoffTests').
            await using CliProcess friend = Launch.Connect(friendHome.Path, port, Passphrase("right"), "--psk");
            await friend.EventAsync("handshake");
            await listener.EventAsync("handshake");
            await friend.WriteLineAsync("hello after the pause");
            Assert.Equal("hello after the pause", (await listener.EventAsync("received")).GetProperty("text").GetString());
            friend.CloseInput();
            Assert.Equal(0, await friend.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Beyond_eight_handshakes_at_once_a_connection_is_refused_as_busy_and_a_real_peer_chats_after()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--handshake-timeout", "60");
        await using (listener)
        {
            // Four sources, two connections each (one source may hold at most four slots).
            var silent = new List<Socket>();
            for (int i = 0; i < 8; i++)
            {
                silent.Add(await RawAsync(port, IPAddress.Parse($"127.0.0.{2 + (i / 2)}")));
            }

            // Accepted in order, so these eight hold all the slots: the ninth is told "busy".
            var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
                SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { KeyLogFile = null }).AsTask().WaitAsync(CliProcess.Timeout));
            Assert.Equal(RefusalCode.Busy, error.Code);

            silent.ForEach(s => s.Dispose());
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal("io", (await listener.EventAsync("handshake-failed")).GetProperty("code").GetString());
            }

            await ChatAsync(listener, port, clientHome.Path);
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task One_source_holds_at_most_four_handshake_slots_and_a_peer_from_elsewhere_still_chats()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--handshake-timeout", "60");
        await using (listener)
        {
            IPAddress attacker = IPAddress.Parse("127.0.0.9");
            var silent = new List<Socket>();
            for (int i = 0; i < 4; i++)
            {
                silent.Add(await RawAsync(port, attacker));
            }

            // The fifth from the same source is refused; the listener hangs up on it.
            using (Socket fifth = await RawAsync(port, attacker))
            {
                Assert.True(await ClosedByListenerAsync(fifth), "the fifth connection from one source was not refused");
            }

            // A peer from another source gets a chat at once.
            await ChatAsync(listener, port, clientHome.Path);
            Assert.Equal(0, await listener.ExitCodeAsync());
            silent.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData("end-of-input")]
    [InlineData("SIGTERM")]
    public async Task The_listener_stops_promptly_while_handshakes_are_in_progress(string how)
    {
        using var serverHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--handshake-timeout", "600");
        await using (listener)
        {
            // Three handshakes stalled after msg2: the listener waits for their msg3.
            var stalled = new List<Socket>();
            for (int i = 0; i < 3; i++)
            {
                stalled.Add(await StalledAfterMsg2Async(port));
            }

            if (how == "SIGTERM")
            {
                using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", listener.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            }
            else
            {
                listener.CloseInput();
            }

            Assert.Equal(0, await listener.ExitCodeAsync()); // well within the 600 s handshake timeout
            foreach (Socket socket in stalled)
            {
                Assert.True(await ClosedByListenerAsync(socket));
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_line_typed_at_the_listener_while_the_handshake_finishes_is_sent_in_the_chat()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("pw"), "--psk");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, Passphrase("pw"), "--psk"))
        {
            // The client is done once it has sent msg3; the listener then still derives the psk
            // (600,000 PBKDF2 iterations), so this line arrives while its handshake is in progress.
            await client.EventAsync("handshake");
            await listener.WriteLineAsync("typed as soon as the peer was there");
            Assert.Equal("typed as soon as the peer was there", (await client.EventAsync("received")).GetProperty("text").GetString());
            Assert.DoesNotContain("not sent", listener.Stderr, StringComparison.Ordinal);
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Human_listener_warns_about_a_failed_handshake_with_the_peer_address_and_keeps_listening()
    {
        using var serverHome = new TempHome();
        await using CliProcess listener = CliProcess.Start(serverHome.Path, null, "listen", "--bind", "127.0.0.1", "--port", "0");
        string listening = await listener.LineAsync(l => l.StartsWith("Listening on", StringComparison.Ordinal));
        int port = int.Parse(listening.Split(" port ")[1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        using (Socket garbage = await RawAsync(port))
        {
            await garbage.SendAsync(new byte[] { 0, 3, 1, 2, 3 });
            garbage.Shutdown(SocketShutdown.Send);
            Assert.True(await ClosedByListenerAsync(garbage));
        }

        await listener.StderrContainsAsync("warning: the handshake with 127.0.0.1:");
        Assert.Contains("Still listening.", listener.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", listener.Stderr, StringComparison.Ordinal);
    }
}
