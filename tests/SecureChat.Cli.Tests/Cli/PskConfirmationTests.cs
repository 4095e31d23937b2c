using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// In passphrase mode the connecting side learns only from the server's first transport frame that
/// the server knows the passphrase: until then nothing may be pinned or shown as established.
/// </summary>
public class PskConfirmationTests
{
    [Fact]
    public async Task Server_with_another_passphrase_is_never_pinned_nor_shown_as_established()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "right" }, "--psk");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "wrong" }, "--psk"))
        {
            JsonElement error = await client.EventAsync("error");
            Assert.Equal("auth-failed", error.GetProperty("code").GetString());
            Assert.Equal(3, await client.ExitCodeAsync());
            Assert.DoesNotContain("\"handshake\"", client.Stdout, StringComparison.Ordinal);
            string knownPeers = clientHome.File("known_peers");
            Assert.True(!File.Exists(knownPeers) || !File.ReadAllText(knownPeers).Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
                "the server that failed the passphrase was remembered in known_peers");
        }
    }
}
