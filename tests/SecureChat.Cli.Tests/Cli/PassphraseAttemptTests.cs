using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// Once message 3 is sent, a passphrase attempt is spent whatever follows (docs/PROTOCOL.md §8): a
/// responder that guessed the passphrase and then claims "busy" must not get a second guess by
/// making the client retry.
/// </summary>
public class PassphraseAttemptTests
{
    [Fact]
    public async Task A_busy_refusal_after_message_3_is_not_retried_and_the_attempt_is_reported_used_up()
    {
        using var home = new TempHome();
        // The guesser's guess is right (v2_peer.py answers a wrong one with REFUSE 5): message 3
        // decrypts, and still it claims "busy" instead of READY, hoping for another attempt.
        await using SeedPeer guesser = SeedPeer.Start("v2_peer.py", "responder", 0, "the real passphrase", "--mode", "psk", "--refuse-after-msg3", "4");
        int target = (await guesser.EventAsync("listening")).GetProperty("port").GetInt32();
        await using var proxy = new CountingProxy(target);

        var environment = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "the real passphrase" };
        await using CliProcess client = CliProcess.Start(home.Path, environment, "connect", "127.0.0.1:" + proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--psk");
        client.CloseInput();
        int exitCode = await client.ExitCodeAsync();

        // The guesser did read message 3, then refused with "busy".
        Assert.Equal(4, (await guesser.EventAsync("refused")).GetProperty("code").GetInt32());
        Assert.NotEqual(0, exitCode);
        string everything = client.Stdout + client.Stderr;
        Assert.Contains("passphrase attempt is used up", everything, StringComparison.Ordinal);
        Assert.Contains("does not retry", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Secure session established", everything, StringComparison.Ordinal);
        Assert.Equal(1, await proxy.StopAsync());
    }
}
