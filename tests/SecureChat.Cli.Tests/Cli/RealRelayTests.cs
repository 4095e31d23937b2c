using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// Three real processes (issue 13's "Done when"): `securechat relay`, a listener and a joiner
/// through it — a chat, a file and `exit`; and a wrong code, which ends both sides with exit 3 and
/// uses the nameplate up at the relay.
/// </summary>
public class RealRelayTests
{
    /// <summary>Starts `securechat relay` on a free loopback port; returns it and its HOST:PORT.</summary>
    internal static async Task<(CliProcess Relay, string Address)> StartRelayAsync(string home)
    {
        CliProcess relay = CliProcess.Start(home, null, "relay", "--bind", "127.0.0.1", "--port", "0", "--json");
        JsonElement started = await relay.EventAsync("relay_started");
        return (relay, "127.0.0.1:" + started.GetProperty("port").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Two_clients_chat_and_send_a_file_through_a_real_relay_and_exit()
    {
        using var relayHome = new TempHome();
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        string downloads = Directory.CreateDirectory(listenerHome.File("downloads")).FullName;
        string source = joinerHome.File("notes.bin");
        byte[] content = new byte[500_000];
        Random.Shared.NextBytes(content);
        await File.WriteAllBytesAsync(source, content);

        var (relay, address) = await StartRelayAsync(relayHome.Path);
        await using (relay)
        await using (CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--relay", address, "--accept-files", downloads, "--json"))
        {
            string code = (await listener.EventAsync("listening")).GetProperty("code").GetString()!;
            await using CliProcess joiner = CliProcess.Start(joinerHome.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = code }, "connect", "--relay", address, "--json");
            JsonElement joined = await joiner.EventAsync("handshake");
            JsonElement accepted = await listener.EventAsync("handshake");
            Assert.Equal(joined.GetProperty("sas").GetString(), accepted.GetProperty("sas").GetString());
            Assert.Equal("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256", joined.GetProperty("protocol").GetString());

            await joiner.WriteLineAsync("hello through the real relay");
            Assert.Equal("hello through the real relay", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await joiner.WriteLineAsync("/send " + source);
            JsonElement done = await listener.EventAsync("file-done");
            Assert.Equal(content, await File.ReadAllBytesAsync(done.GetProperty("path").GetString()!));
            await joiner.EventAsync("file-done");
            await joiner.WriteLineAsync("exit");
            Assert.Equal(0, await joiner.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());

            // The relay saw the pair, and nothing of the code.
            JsonElement closed = await relay.EventAsync("pair_closed");
            Assert.True(closed.GetProperty("bytes_to_waiter").GetInt64() > content.Length);
            string[] words = code.Split('-')[1..];
            Assert.All(words, w => Assert.DoesNotContain(w, relay.Stdout + relay.Stderr, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_wrong_code_through_a_real_relay_ends_both_sides_with_exit_3_and_the_nameplate_is_used_up()
    {
        using var relayHome = new TempHome();
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        var (relay, address) = await StartRelayAsync(relayHome.Path);
        await using (relay)
        await using (CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--relay", address, "--json"))
        {
            string code = (await listener.EventAsync("listening")).GetProperty("code").GetString()!;
            string nameplate = code.Split('-')[0];
            string wrong = code.EndsWith("-aardvark-adroitness", StringComparison.Ordinal) ? $"{nameplate}-absurd-adroitness" : $"{nameplate}-aardvark-adroitness";
            await using (CliProcess joiner = CliProcess.Start(joinerHome.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = wrong }, "connect", "--relay", address, "--json"))
            {
                joiner.CloseInput();
                Assert.Equal(3, await joiner.ExitCodeAsync());
            }

            Assert.Equal(3, await listener.ExitCodeAsync());

            // The nameplate paired once: a second claim, even with the right code, finds nobody.
            await using CliProcess late = CliProcess.Start(joinerHome.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = code }, "connect", "--relay", address, "--json");
            late.CloseInput();
            Assert.Equal(5, await late.ExitCodeAsync());
            Assert.Contains($"nobody is waiting under {nameplate} — if you just got this code, someone else may have used it", late.Stdout + late.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_relay_restart_ends_the_waiting_listener_with_exit_5_and_the_restarted_relay_pairs_again()
    {
        using var relayHome = new TempHome();
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        var (relay, address) = await StartRelayAsync(relayHome.Path);
        string port = address.Split(':')[1];
        await using (CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--relay", address, "--json"))
        {
            await listener.EventAsync("listening");
            relay.Kill();
            await relay.DisposeAsync();

            // The waiter loses the relay: a clear error and exit 5 (connection lost), nothing else.
            Assert.Equal(5, await listener.ExitCodeAsync());
            Assert.Contains("\"event\":\"error\"", listener.Stdout, StringComparison.Ordinal);
        }

        // The relay comes back on the same port and serves new codes.
        await using CliProcess again = CliProcess.Start(relayHome.Path, null, "relay", "--bind", "127.0.0.1", "--port", port, "--json");
        await again.EventAsync("relay_started");
        await using CliProcess listener2 = CliProcess.Start(listenerHome.Path, null, "listen", "--relay", address, "--json");
        string code = (await listener2.EventAsync("listening")).GetProperty("code").GetString()!;
        await using CliProcess joiner = CliProcess.Start(joinerHome.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = code }, "connect", "--relay", address, "--json");
        await joiner.EventAsync("handshake");
        await listener2.EventAsync("handshake");
        await joiner.WriteLineAsync("exit");
        Assert.Equal(0, await joiner.ExitCodeAsync());
        Assert.Equal(0, await listener2.ExitCodeAsync());
    }
}
