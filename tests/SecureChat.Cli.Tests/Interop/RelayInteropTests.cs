using System.Text.Json;
using SecureChat.Cli.Tests.Support;
using SecureChat.Tests.Support;

namespace SecureChat.Cli.Tests.Interop;

/// <summary>
/// The independent v2 Python peer (v2_peer.py) meets securechat through a relay, in both roles:
/// relay_shim.py, a relay client written in Python from the protocol text, carries it to the relay.
/// </summary>
public class RelayInteropTests
{
    [Fact]
    public async Task Securechat_joins_a_python_waiter_through_the_relay()
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        const string code = "17-bluebird-caravan"; // a fresh fake relay's first nameplate is 17
        await using SeedPeer python = SeedPeer.Start("v2_peer.py", "responder", 0, code, "--mode", "psk", "--channel", "17");
        int pythonPort = (await python.EventAsync("listening")).GetProperty("port").GetInt32();
        await using SeedPeer shim = SeedPeer.Start("relay_shim.py", "waiter", relay.Port, null, "--local-port", pythonPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("17", (await shim.EventAsync("allocated")).GetProperty("nameplate").GetString());

        await using CliProcess joiner = CliProcess.Start(home.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = "17 Bluebird Caravan" }, "connect", "--relay", relay.Address, "--json");
        JsonElement handshake = await joiner.EventAsync("handshake");
        Assert.Equal("code", handshake.GetProperty("peer_status").GetString());
        Assert.Equal(handshake.GetProperty("sas").GetString(), (await python.EventAsync("established")).GetProperty("sas").GetString());
        await joiner.WriteLineAsync("hello python");
        Assert.Equal("hello python", (await python.EventAsync("text")).GetProperty("text").GetString());
        await python.SendAsync("hello securechat");
        Assert.Equal("hello securechat", (await joiner.EventAsync("received")).GetProperty("text").GetString());
        await joiner.WriteLineAsync("exit");
        Assert.Equal(0, await joiner.ExitCodeAsync());
        await python.EventAsync("closed");
    }

    [Fact]
    public async Task A_python_joiner_meets_a_securechat_waiter_through_the_relay()
    {
        using var home = new TempHome();
        await using var relay = FakeRelay.Start();
        await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--relay", relay.Address, "--json");
        JsonElement listening = await listener.EventAsync("listening");
        string nameplate = listening.GetProperty("nameplate").GetString()!;
        string code = listening.GetProperty("code").GetString()!;

        await using SeedPeer shim = SeedPeer.Start("relay_shim.py", "joiner", relay.Port, null, "--nameplate", nameplate);
        int shimPort = (await shim.EventAsync("listening")).GetProperty("port").GetInt32();
        await using SeedPeer python = SeedPeer.Start("v2_peer.py", "initiator", shimPort, code, "--mode", "psk", "--channel", nameplate);
        JsonElement established = await python.EventAsync("established");
        JsonElement handshake = await listener.EventAsync("handshake");
        Assert.Equal(handshake.GetProperty("sas").GetString(), established.GetProperty("sas").GetString());
        Assert.Equal("code", handshake.GetProperty("peer_status").GetString());
        await python.SendAsync("from python");
        Assert.Equal("from python", (await listener.EventAsync("received")).GetProperty("text").GetString());
        await listener.WriteLineAsync("exit");
        Assert.Equal(0, await listener.ExitCodeAsync());
        await python.EventAsync("closed");
    }

    [Fact]
    public async Task Securechat_joins_a_python_waiter_through_a_real_relay()
    {
        using var home = new TempHome();
        using var relayHome = new TempHome();
        var (relay, address) = await Cli.RealRelayTests.StartRelayAsync(relayHome.Path);
        await using (relay)
        {
            int relayPort = int.Parse(address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            const string code = "1-bluebird-caravan"; // a fresh relay's first nameplate is 1
            await using SeedPeer python = SeedPeer.Start("v2_peer.py", "responder", 0, code, "--mode", "psk", "--channel", "1");
            int pythonPort = (await python.EventAsync("listening")).GetProperty("port").GetInt32();
            await using SeedPeer shim = SeedPeer.Start("relay_shim.py", "waiter", relayPort, null, "--local-port", pythonPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("1", (await shim.EventAsync("allocated")).GetProperty("nameplate").GetString());

            await using CliProcess joiner = CliProcess.Start(home.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = code }, "connect", "--relay", address, "--json");
            JsonElement handshake = await joiner.EventAsync("handshake");
            Assert.Equal(handshake.GetProperty("sas").GetString(), (await python.EventAsync("established")).GetProperty("sas").GetString());
            await joiner.WriteLineAsync("hello python");
            Assert.Equal("hello python", (await python.EventAsync("text")).GetProperty("text").GetString());
            await joiner.WriteLineAsync("exit");
            Assert.Equal(0, await joiner.ExitCodeAsync());
            await python.EventAsync("closed");
        }
    }

    [Fact]
    public async Task A_python_joiner_meets_a_securechat_waiter_through_a_real_relay()
    {
        using var home = new TempHome();
        using var relayHome = new TempHome();
        var (relay, address) = await Cli.RealRelayTests.StartRelayAsync(relayHome.Path);
        await using (relay)
        {
            int relayPort = int.Parse(address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--relay", address, "--json");
            JsonElement listening = await listener.EventAsync("listening");
            string nameplate = listening.GetProperty("nameplate").GetString()!;
            string code = listening.GetProperty("code").GetString()!;

            await using SeedPeer shim = SeedPeer.Start("relay_shim.py", "joiner", relayPort, null, "--nameplate", nameplate);
            int shimPort = (await shim.EventAsync("listening")).GetProperty("port").GetInt32();
            await using SeedPeer python = SeedPeer.Start("v2_peer.py", "initiator", shimPort, code, "--mode", "psk", "--channel", nameplate);
            JsonElement established = await python.EventAsync("established");
            JsonElement handshake = await listener.EventAsync("handshake");
            Assert.Equal(handshake.GetProperty("sas").GetString(), established.GetProperty("sas").GetString());
            await python.SendAsync("from python");
            Assert.Equal("from python", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await listener.WriteLineAsync("exit");
            Assert.Equal(0, await listener.ExitCodeAsync());
            await python.EventAsync("closed");
        }
    }
}
