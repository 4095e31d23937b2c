using SecureChat.Cli.Tests.Support;
using SecureChat.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// The relay is not trusted (issue 13): a relay that answers in the listener's place and, after
/// message 3, claims "busy" must not get a second guess at the code.
/// </summary>
public class RelayImpersonationTests
{
    [Fact]
    public async Task A_relay_that_plays_the_listener_and_refuses_after_message_3_gets_no_second_attempt()
    {
        using var home = new TempHome();
        const string code = "17-bluebird-caravan";

        // Even with the right code (the worst case: the relay guessed it), a refusal after
        // message 3 spends the code, and the joiner does not retry.
        await using SeedPeer impostor = SeedPeer.Start("v2_peer.py", "responder", 0, code, "--mode", "psk", "--channel", "17", "--refuse-after-msg3", "4");
        int impostorPort = (await impostor.EventAsync("listening")).GetProperty("port").GetInt32();
        await using var relay = FakeRelay.Start();
        relay.PlayListener = async joiner =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, impostorPort);
            await FakeRelay.SpliceAsync(joiner, client.GetStream());
        };

        await using CliProcess joiner = CliProcess.Start(home.Path, new Dictionary<string, string> { ["SECURECHAT_CODE"] = code }, "connect", "--relay", relay.Address, "--json");
        joiner.CloseInput();
        int exitCode = await joiner.ExitCodeAsync();
        Assert.Equal(4, (await impostor.EventAsync("refused")).GetProperty("code").GetInt32());
        Assert.NotEqual(0, exitCode);
        string everything = joiner.Stdout + joiner.Stderr;
        Assert.Contains("This code is used up — ask for a new one", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("\"event\":\"handshake\"", everything, StringComparison.Ordinal);
        Assert.Equal(1, relay.Claims);
    }
}
