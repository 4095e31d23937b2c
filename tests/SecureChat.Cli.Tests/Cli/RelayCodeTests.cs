using System.Text.Json;
using SecureChat.Cli.Tests.Support;
using SecureChat.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// Code mode end to end with real processes (issue 13): two securechat processes through a relay
/// (a fake one in the tests, speaking the relay protocol), a wrong code, a direct words-only code,
/// and the relay failures the joiner reports.
/// </summary>
public class RelayCodeTests
{
    private static Dictionary<string, string> WithCode(string code) => new() { ["SECURECHAT_CODE"] = code };

    private static async Task<(CliProcess Listener, JsonElement Listening)> ListenAsync(string home, FakeRelay relay, params string[] extra)
    {
        CliProcess listener = CliProcess.Start(home, null, ["listen", "--relay", relay.Address, "--json", .. extra]);
        return (listener, await listener.EventAsync("listening"));
    }

    [Fact]
    public async Task Two_clients_chat_through_a_relay_with_a_code_and_exit()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        await using var relay = FakeRelay.Start();
        string downloads = Directory.CreateDirectory(listenerHome.File("downloads")).FullName;
        string source = joinerHome.File("notes.bin");
        byte[] content = new byte[300_000];
        Random.Shared.NextBytes(content);
        await File.WriteAllBytesAsync(source, content);
        var (listener, listening) = await ListenAsync(listenerHome.Path, relay, "--accept-files", downloads);
        await using (listener)
        {
            Assert.Equal(relay.Address, listening.GetProperty("relay").GetString());
            Assert.Equal("17", listening.GetProperty("nameplate").GetString());
            string code = listening.GetProperty("code").GetString()!;
            Assert.Matches("^17-[a-z]+-[a-z]+$", code);
            Assert.Equal($"securechat connect --relay {relay.Address}", listening.GetProperty("command").GetString());

            await using CliProcess joiner = CliProcess.Start(joinerHome.Path, WithCode(code.ToUpperInvariant().Replace('-', ' ')), "connect", "--relay", relay.Address, "--json");
            JsonElement joined = await joiner.EventAsync("handshake");
            JsonElement accepted = await listener.EventAsync("handshake");
            Assert.Equal("code", joined.GetProperty("peer_status").GetString());
            Assert.Equal("code", accepted.GetProperty("peer_status").GetString());
            Assert.Equal(joined.GetProperty("sas").GetString(), accepted.GetProperty("sas").GetString());

            await joiner.WriteLineAsync("hello through the relay");
            Assert.Equal("hello through the relay", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await listener.WriteLineAsync("and back");
            Assert.Equal("and back", (await joiner.EventAsync("received")).GetProperty("text").GetString());

            // Files work the same through the relay (it is just a stream).
            await joiner.WriteLineAsync("/send " + source);
            JsonElement done = await listener.EventAsync("file-done");
            Assert.Equal(content, await File.ReadAllBytesAsync(done.GetProperty("path").GetString()!));
            await joiner.EventAsync("file-done");
            await joiner.WriteLineAsync("exit");
            Assert.Equal(0, await joiner.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }

        // One-time identities by default: nothing was written to either home.
        Assert.False(File.Exists(listenerHome.File("identity.key")));
        Assert.False(File.Exists(joinerHome.File("identity.key")));
        Assert.False(File.Exists(joinerHome.File("known_peers")));
    }

    [Fact]
    public async Task A_wrong_code_ends_both_sides_with_exit_3_and_the_code_used_up()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        await using var relay = FakeRelay.Start();
        var (listener, listening) = await ListenAsync(listenerHome.Path, relay);
        await using (listener)
        {
            string code = listening.GetProperty("code").GetString()!;
            string wrong = code == "17-aardvark-adroitness" ? "17-absurd-adroitness" : "17-aardvark-adroitness";
            await using CliProcess joiner = CliProcess.Start(joinerHome.Path, WithCode(wrong), "connect", "--relay", relay.Address, "--json");
            joiner.CloseInput();
            Assert.Equal(3, await joiner.ExitCodeAsync());
            Assert.Equal(3, await listener.ExitCodeAsync());
            Assert.Contains("Someone tried a wrong code — this code is used up; start again.", listener.Stdout, StringComparison.Ordinal);
            Assert.Contains("This code is used up — ask for a new one", joiner.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("\"event\":\"handshake\"", joiner.Stdout, StringComparison.Ordinal);
            Assert.Equal(1, relay.Claims);
        }
    }

    [Fact]
    public async Task A_direct_words_only_code_connects_without_a_relay()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--code", "--bind", "127.0.0.1", "--port", "0", "--json", "--code-words", "3");
        await using (listener)
        {
            JsonElement listening = await listener.EventAsync("listening");
            int port = listening.GetProperty("port").GetInt32();
            string code = listening.GetProperty("code").GetString()!;
            Assert.Matches("^[a-z]+-[a-z]+-[a-z]+$", code);
            Assert.EndsWith("--code", listening.GetProperty("command").GetString(), StringComparison.Ordinal);

            string codeFile = joinerHome.File("code.txt");
            await File.WriteAllTextAsync(codeFile, code + "\n");
            await using CliProcess joiner = Launch.Connect(joinerHome.Path, port, null, "--code", "--code-file", codeFile);
            Assert.Equal("code", (await joiner.EventAsync("handshake")).GetProperty("peer_status").GetString());
            await listener.EventAsync("handshake");
            await joiner.WriteLineAsync("direct");
            Assert.Equal("direct", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await listener.WriteLineAsync("exit");
            Assert.Equal(0, await listener.ExitCodeAsync());
            Assert.Equal(0, await joiner.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task A_wrong_direct_code_ends_the_listener_with_exit_3()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--code", "--bind", "127.0.0.1", "--port", "0", "--json");
        await using (listener)
        {
            JsonElement listening = await listener.EventAsync("listening");
            string code = listening.GetProperty("code").GetString()!;
            string wrong = code == "aardvark-adroitness" ? "absurd-adroitness" : "aardvark-adroitness";
            await using CliProcess joiner = Launch.Connect(joinerHome.Path, listening.GetProperty("port").GetInt32(), WithCode(wrong), "--code");
            joiner.CloseInput();
            Assert.Equal(3, await joiner.ExitCodeAsync());
            Assert.Equal(3, await listener.ExitCodeAsync());
            Assert.Contains("Someone tried a wrong code", listener.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_simultaneous_wrong_direct_codes_get_one_guess_between_them()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--code", "--bind", "127.0.0.1", "--port", "0", "--json");
        await using (listener)
        {
            JsonElement listening = await listener.EventAsync("listening");
            string code = listening.GetProperty("code").GetString()!;
            string wrong = code == "aardvark-adroitness" ? "absurd-adroitness" : "aardvark-adroitness";
            int port = listening.GetProperty("port").GetInt32();
            await using CliProcess first = Launch.Connect(joinerHome.Path, port, WithCode(wrong), "--code");
            await using CliProcess second = Launch.Connect(joinerHome.Path, port, WithCode(wrong), "--code");
            first.CloseInput();
            second.CloseInput();
            int[] exits = [await first.ExitCodeAsync(), await second.ExitCodeAsync()];
            Assert.Equal(3, await listener.ExitCodeAsync());

            // The listener's handshakes run one at a time: the first wrong code ends it, and the
            // other connection never gets to test its guess (it loses its connection: exit 5).
            Assert.Single(exits, e => e == 3);
        }
    }

    [Fact]
    public async Task A_typo_in_the_code_is_refused_before_the_relay_is_asked()
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        await using CliProcess joiner = CliProcess.Start(home.Path, WithCode("17-bluebrid-caravan"), "connect", "--relay", relay.Address, "--json");
        Assert.Equal(2, await joiner.ExitCodeAsync());
        Assert.Contains("Word 1 is not in the code word list", joiner.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("bluebrid", joiner.Stdout + joiner.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, relay.Claims);
    }

    [Fact]
    public async Task A_claim_nobody_waits_for_says_so_loudly_with_exit_5()
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        await using CliProcess joiner = CliProcess.Start(home.Path, WithCode("17-bluebird-caravan"), "connect", "--relay", relay.Address, "--json");
        JsonElement error = await joiner.EventAsync("error");
        Assert.Contains("nobody is waiting under 17 — if you just got this code, someone else may have used it", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(5, await joiner.ExitCodeAsync());
    }

    [Theory]
    [InlineData("busy")]
    [InlineData("rate-limited")]
    [InlineData("timeout")]
    public async Task A_relay_refusal_is_exit_5(string code)
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        relay.ClaimAnswer = _ => FakeRelay.Frame(new Rendezvous.RelayError(code, "no"));
        relay.AllocateAnswer = () => FakeRelay.Frame(new Rendezvous.RelayError(code, "no"));
        await using CliProcess joiner = CliProcess.Start(home.Path, WithCode("17-bluebird-caravan"), "connect", "--relay", relay.Address, "--json");
        Assert.Equal(5, await joiner.ExitCodeAsync());
        await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--relay", relay.Address, "--json");
        Assert.Equal(5, await listener.ExitCodeAsync());
    }

    [Fact]
    public async Task An_unreachable_relay_is_exit_5()
    {
        int port;
        using (var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            closed.Start();
            port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        }

        using var home = new TempHome();
        await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--relay", $"127.0.0.1:{port}", "--json");
        Assert.Equal(5, await listener.ExitCodeAsync());
        Assert.Contains("Could not connect to the relay", listener.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_relay_comes_from_SECURECHAT_RELAY_when_relay_has_no_value()
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        var environment = new Dictionary<string, string> { ["SECURECHAT_RELAY"] = relay.Address };
        await using CliProcess listener = CliProcess.Start(home.Path, environment, "listen", "--json", "--relay");
        Assert.Equal(relay.Address, (await listener.EventAsync("listening")).GetProperty("relay").GetString());
        listener.CloseInput();
        Assert.Equal(0, await listener.ExitCodeAsync());
    }

    [Theory]
    [InlineData("connect", "--relay", "127.0.0.1:1", "17-bluebird-caravan")]
    [InlineData("connect", "--relay", "127.0.0.1:1", "--psk")]
    [InlineData("listen", "--relay", "127.0.0.1:1", "--keep-open")]
    [InlineData("listen", "--code", "--code-words", "1")]
    [InlineData("listen", "--code", "--keep-identity", "--ephemeral")]
    [InlineData("listen", "--code-words", "3")]
    public async Task Bad_code_mode_usage_is_exit_2(params string[] args)
    {
        using var home = new TempHome();
        await using CliProcess process = CliProcess.Start(home.Path, null, [.. args, "--json"]);
        Assert.Equal(2, await process.ExitCodeAsync());
    }

    [Fact]
    public async Task Without_a_terminal_or_a_code_source_the_joiner_says_where_the_code_comes_from()
    {
        using var home = new TempHome();
        await using CliProcess joiner = CliProcess.Start(home.Path, null, "connect", "--relay", "127.0.0.1:1", "--json");
        Assert.Equal(2, await joiner.ExitCodeAsync());
        Assert.Contains("SECURECHAT_CODE", joiner.Stdout, StringComparison.Ordinal);
    }
}
