using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

public class ConversationTests
{
    [Fact]
    public async Task Messages_flow_both_ways_and_exit_ends_the_chat_on_both_sides()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            JsonElement connected = await client.EventAsync("connected");
            Assert.Equal($"127.0.0.1:{port}", connected.GetProperty("peer").GetString());
            JsonElement clientHandshake = await client.EventAsync("handshake");
            JsonElement serverHandshake = await listener.EventAsync("handshake");
            Assert.Equal("Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256", clientHandshake.GetProperty("protocol").GetString());
            Assert.Equal(clientHandshake.GetProperty("sas").GetString(), serverHandshake.GetProperty("sas").GetString());
            Assert.Equal(clientHandshake.GetProperty("fingerprint").GetString(), serverHandshake.GetProperty("peer_fingerprint").GetString());
            Assert.Equal("new", clientHandshake.GetProperty("peer_status").GetString());

            await client.WriteLineAsync("héllo wörld — 你好 🔐");
            Assert.Equal("héllo wörld — 你好 🔐", (await client.EventAsync("sent")).GetProperty("text").GetString());
            JsonElement received = await listener.EventAsync("received");
            Assert.Equal("héllo wörld — 你好 🔐", received.GetProperty("text").GetString());
            Assert.True(DateTimeOffset.TryParse(received.GetProperty("time").GetString(), out _));

            await listener.WriteLineAsync("right back at you");
            Assert.Equal("right back at you", (await client.EventAsync("received")).GetProperty("text").GetString());

            await client.WriteLineAsync("exit");
            JsonElement clientClosed = await client.EventAsync("closed");
            Assert.Equal("local-exit", clientClosed.GetProperty("reason").GetString());
            Assert.True(clientClosed.GetProperty("keys_erased").GetBoolean());
            JsonElement serverClosed = await listener.EventAsync("closed");
            Assert.Equal("peer-exit", serverClosed.GetProperty("reason").GetString());
            Assert.True(serverClosed.GetProperty("keys_erased").GetBoolean());
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Theory]
    [InlineData("quit()")]
    [InlineData("/quit")]
    [InlineData("EXIT")]
    [InlineData(null)]
    public async Task Every_end_word_and_end_of_input_close_the_chat_cleanly(string? word)
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await listener.EventAsync("handshake");
            if (word is null)
            {
                listener.CloseInput();
            }
            else
            {
                await listener.WriteLineAsync(word);
            }

            Assert.Equal("local-exit", (await listener.EventAsync("closed")).GetProperty("reason").GetString());
            Assert.Equal("peer-exit", (await client.EventAsync("closed")).GetProperty("reason").GetString());
            Assert.Equal(0, await listener.ExitCodeAsync());
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task A_message_too_long_for_one_frame_is_refused_and_the_chat_goes_on()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync(new string('a', 70_000));
            JsonElement error = await client.EventAsync("error");
            Assert.Equal("bad-input", error.GetProperty("code").GetString());
            Assert.Contains("65,517", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            await client.WriteLineAsync("short one");
            Assert.Equal("short one", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Show_ciphertext_adds_the_encrypted_frame_to_sent_and_received_events()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--show-ciphertext");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, null, "--show-ciphertext"))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("secret");
            string sent = (await client.EventAsync("sent")).GetProperty("ciphertext").GetString()!;
            string received = (await listener.EventAsync("received")).GetProperty("ciphertext").GetString()!;
            Assert.Equal(sent, received);
            Assert.Equal(1 + 6 + 16, Convert.FromBase64String(sent).Length);
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Second_peer_is_refused_as_busy_while_a_chat_runs()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        using var otherHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await using CliProcess other = Launch.Connect(otherHome.Path, port);
            JsonElement error = await other.EventAsync("error");
            Assert.Contains("busy", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, await other.ExitCodeAsync());

            await client.WriteLineAsync("still chatting");
            Assert.Equal("still chatting", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Keep_open_serves_one_peer_after_another()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--keep-open");
        await using (listener)
        {
            for (int i = 0; i < 2; i++)
            {
                await using CliProcess client = Launch.Connect(clientHome.Path, port);
                await client.EventAsync("handshake");
                await client.WriteLineAsync($"visitor {i}");
                Assert.Equal($"visitor {i}", (await listener.EventAsync("received")).GetProperty("text").GetString());
                client.CloseInput();
                Assert.Equal(0, await client.ExitCodeAsync());
                Assert.Equal("peer-exit", (await listener.EventAsync("closed")).GetProperty("reason").GetString());
            }

            listener.CloseInput(); // end of the listener's own input stops it
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }
}
