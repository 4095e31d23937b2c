using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Interop;

/// <summary>--compat seed-rsa against a re-creation of the original RSA chat programs (document 000).</summary>
public class SeedRsaTests
{
    private const string Script = "seed_rsa_peer.py";

    [Fact]
    public async Task Securechat_listener_chats_with_the_original_client_both_ways_and_exit_ends_both()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port))
        {
            await original.EventAsync("key-exchange-done");
            JsonElement started = await listener.EventAsync("compat");
            Assert.Equal("seed-rsa", started.GetProperty("protocol").GetString());
            Assert.False(started.GetProperty("authenticated").GetBoolean());
            Assert.StartsWith("SHA256:", started.GetProperty("peer_key_fingerprint").GetString(), StringComparison.Ordinal);

            await original.SendAsync("héllo from the original 你好");
            JsonElement received = await listener.EventAsync("received");
            Assert.Equal("héllo from the original 你好", received.GetProperty("text").GetString());
            Assert.True(received.GetProperty("signature_valid").GetBoolean());
            Assert.Equal(256, Convert.FromBase64String(received.GetProperty("ciphertext").GetString()!).Length);

            await listener.WriteLineAsync("reply from securechat ✓");
            JsonElement reply = await original.EventAsync("received");
            Assert.Equal("reply from securechat ✓", reply.GetProperty("text").GetString());
            Assert.True(reply.GetProperty("signature_valid").GetBoolean());

            await listener.WriteLineAsync("exit");
            Assert.Equal("exit", (await original.EventAsync("received")).GetProperty("text").GetString());
            Assert.True((await listener.EventAsync("closed")).GetProperty("keys_erased").GetBoolean());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Securechat_client_chats_with_the_original_server_and_its_exit_ends_the_chat()
    {
        using var home = new TempHome();
        await using SeedPeer original = SeedPeer.Start(Script, "server", 0);
        int port = (await original.EventAsync("listening")).GetProperty("port").GetInt32();
        await using CliProcess client = Launch.Connect(home.Path, port, null, "--compat", "seed-rsa");
        await original.EventAsync("key-exchange-done");
        await client.EventAsync("compat");

        await client.WriteLineAsync("from securechat 👋");
        Assert.Equal("from securechat 👋", (await original.EventAsync("received")).GetProperty("text").GetString());
        await original.SendAsync("from the original");
        Assert.Equal("from the original", (await client.EventAsync("received")).GetProperty("text").GetString());

        await original.SendAsync("EXIT ");
        Assert.Equal("peer-exit", (await client.EventAsync("closed")).GetProperty("reason").GetString());
        Assert.Equal(0, await client.ExitCodeAsync());
    }

    [Fact]
    public async Task Ciphertext_and_signature_arriving_in_one_read_are_still_one_message()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port, null, "--send-together"))
        {
            await original.EventAsync("key-exchange-done");
            for (int i = 0; i < 3; i++)
            {
                await original.SendAsync($"together {i}");
            }

            for (int i = 0; i < 3; i++)
            {
                Assert.Equal($"together {i}", (await listener.EventAsync("received")).GetProperty("text").GetString());
            }
        }
    }

    [Fact]
    public async Task A_message_longer_than_oaep_allows_is_refused_before_anything_is_sent()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port))
        {
            await original.EventAsync("key-exchange-done");
            await listener.WriteLineAsync(new string('x', 191));
            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("bad-input", error.GetProperty("code").GetString());
            Assert.Contains("190", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            await listener.WriteLineAsync(new string('y', 190));
            Assert.Equal(new string('y', 190), (await original.EventAsync("received")).GetProperty("text").GetString());
        }
    }
}
