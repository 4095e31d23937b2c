using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>The library writes the key log silently; the CLI is the one that warns, once, on stderr.</summary>
public class KeyLogWarningTests
{
    [Fact]
    public async Task Key_log_from_the_environment_is_written_and_the_cli_warns_once()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string keyLog = serverHome.File("keys.log");
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, new Dictionary<string, string> { ["SECURECHAT_KEYLOGFILE"] = keyLog });
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await listener.StderrContainsAsync($"SECURECHAT_KEYLOGFILE is set: session keys are being written to {keyLog}");
            await client.EventAsync("handshake");
            await listener.EventAsync("handshake");
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());
            Assert.True(new FileInfo(keyLog).Length > 0);
            Assert.Single(listener.Stderr.Split('\n'), line => line.Contains("SECURECHAT_KEYLOGFILE", StringComparison.Ordinal));
            Assert.DoesNotContain("SECURECHAT_KEYLOGFILE", client.Stderr, StringComparison.Ordinal);
        }
    }
}
