using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

public class HumanOutputTests
{
    [Fact]
    public async Task Human_output_to_a_pipe_has_no_escape_sequences_even_when_the_peer_sends_them()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = CliProcess.Start(clientHome.Path, null, "connect", $"127.0.0.1:{port}"))
        {
            await client.LineAsync(l => l.StartsWith("Type a message", StringComparison.Ordinal));
            await listener.WriteLineAsync("evil \u001b[2J\u001b]0;pwned\u0007 text \u202Egnp.exe");
            string shown = await client.LineAsync(l => l.Contains("evil", StringComparison.Ordinal));
            Assert.Matches(@"^\[\d\d:\d\d:\d\d\] peer: evil ␛\[2J␛\]0;pwned␇ text \uFFFDgnp\.exe$", shown);

            await client.WriteLineAsync("/verify");
            await client.LineAsync(l => l.Contains("Session code:", StringComparison.Ordinal));
            await client.WriteLineAsync("exit");
            await client.LineAsync(l => l == "Chat ended. Keys erased.");
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.DoesNotContain('\u001b', client.Stdout);
            Assert.DoesNotContain('\u001b', client.Stderr);
            Assert.Contains("Peer fingerprint: SHA256:", client.Stdout, StringComparison.Ordinal);
            Assert.Contains("NEW", client.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Peer_exit_is_announced_and_keys_erased_is_said_only_at_the_end()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = CliProcess.Start(clientHome.Path, null, "connect", $"127.0.0.1:{port}"))
        {
            await client.LineAsync(l => l.StartsWith("Type a message", StringComparison.Ordinal));
            Assert.DoesNotContain("Keys erased", client.Stdout, StringComparison.Ordinal);
            await listener.WriteLineAsync("quit()");
            await client.LineAsync(l => l.StartsWith("The peer ended the chat", StringComparison.Ordinal));
            await client.LineAsync(l => l == "Chat ended. Keys erased.");
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }
}
