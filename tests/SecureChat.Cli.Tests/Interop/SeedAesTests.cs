using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Interop;

/// <summary>--compat seed-aes against a re-creation of the original AES chat programs (document 002).</summary>
public class SeedAesTests
{
    private const string Script = "seed_aes_peer.py";
    private static Dictionary<string, string> Env(string passphrase) => new() { ["SECURECHAT_SEED_AES_PASSPHRASE"] = passphrase };

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("héllo 你好 👋 \"quoted\" back\\slash")]
    [InlineData("tildes ~ survive ~")]
    public async Task Securechat_listener_and_the_original_client_exchange_any_typed_text(string text)
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("shared key"), "--compat", "seed-aes");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port, "shared key"))
        {
            await original.EventAsync("connected");
            await listener.EventAsync("compat");
            await original.SendAsync(text);
            JsonElement received = await listener.EventAsync("received");
            Assert.Equal(text, received.GetProperty("text").GetString());
            Assert.True(received.GetProperty("verified").GetBoolean());
            Assert.Matches(@"^\d\d:\d\d:\d\d$", received.GetProperty("timestamp").GetString());

            await listener.WriteLineAsync(text);
            JsonElement back = await original.EventAsync("received");
            Assert.Equal(text, back.GetProperty("text").GetString());
            Assert.True(back.GetProperty("verified").GetBoolean());

            await listener.WriteLineAsync("quit()");
            Assert.Equal("local-exit", (await listener.EventAsync("closed")).GetProperty("reason").GetString());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Securechat_client_with_the_original_server_and_the_server_closing_is_a_normal_end()
    {
        using var home = new TempHome();
        await using SeedPeer original = SeedPeer.Start(Script, "server", 0, "pw");
        int port = (await original.EventAsync("listening")).GetProperty("port").GetInt32();
        await using CliProcess client = Launch.Connect(home.Path, port, Env("pw"), "--compat", "seed-aes");
        await original.EventAsync("connected");
        await client.EventAsync("compat");
        await original.SendAsync("from the original server");
        Assert.Equal("from the original server", (await client.EventAsync("received")).GetProperty("text").GetString());
        await original.QuitAsync();
        Assert.Equal("peer-exit", (await client.EventAsync("closed")).GetProperty("reason").GetString());
        Assert.Equal(0, await client.ExitCodeAsync());
    }

    [Fact]
    public async Task Messages_arriving_together_are_each_shown_exactly_once()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("pw"), "--compat", "seed-aes");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port, "pw", "--send-together-count", "3"))
        {
            await original.EventAsync("connected");
            await original.SendAsync("batch");
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("batch", (await listener.EventAsync("received")).GetProperty("text").GetString());
            }

            await original.SendAsync("single after the batch");
            Assert.Equal("single after the batch", (await listener.EventAsync("received")).GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task Wrong_passphrase_is_reported_and_nothing_is_shown_as_a_message()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("right"), "--compat", "seed-aes");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port, "wrong"))
        {
            await original.EventAsync("connected");
            await original.SendAsync("you cannot read this");
            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("integrity", error.GetProperty("code").GetString());
            Assert.Contains("passphrases differ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("\"received\"", listener.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_message_the_original_cannot_receive_is_refused_before_sending()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("pw"), "--compat", "seed-aes");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start(Script, "client", port, "pw"))
        {
            await original.EventAsync("connected");
            await listener.EventAsync("compat");
            await listener.WriteLineAsync(new string('é', 200)); // 6 bytes each as \u00e9
            JsonElement error = await listener.EventAsync("error");
            Assert.Contains("1024", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            await listener.WriteLineAsync("short");
            Assert.Equal("short", (await original.EventAsync("received")).GetProperty("text").GetString());
        }
    }
}
