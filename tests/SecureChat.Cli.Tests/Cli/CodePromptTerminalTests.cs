using System.Globalization;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// The code prompt on a real pseudo-terminal (issue 13): `connect --relay` and `connect HOST --code`
/// ask for the code at a "Code:" prompt where Tab completes a word and a misspelt word gets "did you
/// mean" before anything is sent. Keystrokes go through the kernel's terminal driver to real
/// securechat processes; a real relay and listener are on the other side. The terminal must be
/// given back as it was found, and the code must show on the terminal only.
/// </summary>
public class CodePromptTerminalTests
{
    [Fact]
    public async Task Through_a_relay_Tab_completes_the_words_and_a_misspelt_word_is_explained_without_spending_the_code()
    {
        using var relayHome = new TempHome();
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        var (relay, address) = await RealRelayTests.StartRelayAsync(relayHome.Path);
        await using (relay)
        await using (CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--relay", address, "--json"))
        await using (var proxy = new CountingProxy(int.Parse(address.Split(':')[1], CultureInfo.InvariantCulture)))
        {
            string code = (await listener.EventAsync("listening")).GetProperty("code").GetString()!;
            var (nameplate, first, second) = (code.Split('-')[0], code.Split('-')[1], code.Split('-')[2]);
            await using PtyProcess joiner = await PtyProcess.StartAsync(joinerHome.Path, null, null, "connect", "--relay", "127.0.0.1:" + proxy.Port.ToString(CultureInfo.InvariantCulture));
            int at = await joiner.WaitForAsync("Code: ");

            // A misspelt second word: explained, with the right word suggested, and asked again.
            string typo = Misspell(second, position: 1);
            await joiner.TypeAsync($"{nameplate}-{first}-{typo}\r");
            at = await joiner.WaitForAsync("Word 2 is not in the code word list.", at);
            string explanation = LineAt(joiner.Screen, at);
            Assert.Contains("Did you mean", explanation, StringComparison.Ordinal);
            Assert.Contains($"'{second}'", explanation, StringComparison.Ordinal);
            Assert.Contains("Nothing was sent; type it again.", explanation, StringComparison.Ordinal);
            int again = await joiner.WaitForAsync("Code: ", at);
            Assert.Equal(0, proxy.Connections);

            // Again, with Tab: a unique prefix becomes the whole word and its separator.
            await joiner.TypeAsync($"{nameplate}-{UniquePrefix(first, 0)}\t");
            await joiner.WaitForAsync($"{nameplate}-{first}-", again);
            await joiner.TypeAsync($"{UniquePrefix(second, 1)}\t");
            at = await joiner.WaitForAsync($"{nameplate}-{first}-{second}", again);
            await joiner.TypeAsync("\r");

            // The code was not spent by the typo: the listener still waits under it, and they meet.
            JsonElement handshake = await listener.EventAsync("handshake");
            at = await joiner.WaitForAsync(handshake.GetProperty("sas").GetString()!, at);
            at = await joiner.WaitForAsync("exit ends the chat.", at);
            at = await joiner.WaitForAsync("> ", at); // the line editor's input row
            await joiner.TypeAsync("hello from a terminal\r");
            Assert.Equal("hello from a terminal", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await listener.WriteLineAsync("and back to the terminal");
            at = await joiner.WaitForAsync("and back to the terminal", at);
            await joiner.TypeAsync("exit\r");

            (int exitCode, TerminalMode mode) = await joiner.ExitAsync();
            Assert.Equal(0, exitCode);
            Assert.Equal(0, await listener.ExitCodeAsync());
            Assert.True(mode.Cooked, $"the joiner left the terminal in raw mode: {mode}");
            Assert.True(mode.AsAtStart, $"the joiner changed the terminal's settings: {mode}");

            // One connection to the relay in all, and the relay saw nothing of the words.
            Assert.Equal(1, await proxy.StopAsync());
            Assert.All((string[])[first, second, typo], w => Assert.DoesNotContain(w, relay.Stdout + relay.Stderr, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task A_direct_code_typed_with_stdout_and_stderr_redirected_shows_only_on_the_terminal_and_gives_back_Ctrl_C()
    {
        using var listenerHome = new TempHome();
        using var joinerHome = new TempHome();
        string stdout = joinerHome.File("stdout.log");
        string stderr = joinerHome.File("stderr.log");
        await using (CliProcess listener = CliProcess.Start(listenerHome.Path, null, "listen", "--code", "--json", "--bind", "127.0.0.1", "--port", "0"))
        {
            JsonElement listening = await listener.EventAsync("listening");
            int port = listening.GetProperty("port").GetInt32();
            string code = listening.GetProperty("code").GetString()!;
            var (first, second) = (code.Split('-')[0], code.Split('-')[1]);
            await using PtyProcess joiner = await PtyProcess.StartAsync(joinerHome.Path, stdout, stderr, "connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--code", "--json");
            int at = await joiner.WaitForAsync("Code: ");

            // While the prompt reads the code, Ctrl+C is a key (it cancels the prompt), not a signal.
            Assert.False((await joiner.ModeAsync()).Signals);

            string typo = Misspell(first, position: 0);
            await joiner.TypeAsync($"{typo}-{second}\r");
            at = await joiner.WaitForAsync("Word 1 is not in the code word list.", at);
            Assert.Contains($"'{first}'", LineAt(joiner.Screen, at), StringComparison.Ordinal);
            int again = await joiner.WaitForAsync("Code: ", at);
            await joiner.TypeAsync($"{UniquePrefix(first, 0)}\t");
            await joiner.WaitForAsync($"{first}-", again);
            await joiner.TypeAsync($"{UniquePrefix(second, 1)}\t\r");
            await joiner.WaitForAsync($"{first}-{second}", again);

            JsonElement accepted = await listener.EventAsync("handshake");
            await FileContainsAsync(stdout, accepted.GetProperty("sas").GetString()!);

            // The prompt gave the terminal back: Ctrl+C is a signal again, and ends the chat.
            Assert.True((await joiner.ModeAsync()).Signals);
            await joiner.TypeAsync("typed after the prompt\r");
            Assert.Equal("typed after the prompt", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await joiner.TypeAsync("\u0003");
            (_, TerminalMode mode) = await joiner.ExitAsync();
            Assert.True(mode.Cooked, $"the joiner left the terminal in raw mode: {mode}");
            Assert.True(mode.AsAtStart, $"the joiner changed the terminal's settings: {mode}");
            await listener.EventAsync("closed");

            // The code was echoed on the terminal (through /dev/tty), and nowhere else.
            Assert.Contains($"{first}-{second}", joiner.Screen, StringComparison.Ordinal);
            string redirected = await File.ReadAllTextAsync(stdout) + await File.ReadAllTextAsync(stderr);
            Assert.Contains("\"event\":\"handshake\"", redirected, StringComparison.Ordinal);
            Assert.All((string[])[first, second, typo], w => Assert.DoesNotContain(w, redirected, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Ctrl_C_at_the_prompt_cancels_connects_nowhere_and_leaves_the_terminal_as_it_was()
    {
        using var home = new TempHome();
        await using var counting = new CountingListener(socket =>
        {
            socket.Dispose();
            return Task.CompletedTask;
        });
        await using PtyProcess joiner = await PtyProcess.StartAsync(home.Path, null, null, "connect", counting.Address, "--code");
        int at = await joiner.WaitForAsync("Code: ");
        await joiner.TypeAsync("bluebird-car");
        at = await joiner.WaitForAsync("bluebird-car", at);
        await joiner.TypeAsync("\u0003");
        await joiner.WaitForAsync("Cancelled: no code was entered.", at);

        (int exitCode, TerminalMode mode) = await joiner.ExitAsync();
        Assert.Equal(2, exitCode);
        Assert.True(mode.Cooked, $"the prompt left the terminal in raw mode: {mode}");
        Assert.True(mode.AsAtStart, $"the prompt changed the terminal's settings: {mode}");
        Assert.Equal(0, await counting.StopAsync());
    }

    /// <summary>The shortest prefix of <paramref name="word"/> that no other word of its list starts with.</summary>
    private static string UniquePrefix(string word, int position)
    {
        for (int length = 1; length < word.Length; length++)
        {
            string prefix = word[..length];
            if (PgpWordList.ForPosition(position).Count(w => w.StartsWith(prefix, StringComparison.Ordinal)) == 1)
            {
                return prefix;
            }
        }

        return word;
    }

    /// <summary>Two neighbouring letters swapped: not a word of the list, and close enough that the prompt suggests the word.</summary>
    private static string Misspell(string word, int position)
    {
        for (int i = 0; i + 1 < word.Length; i++)
        {
            string typo = string.Concat(word.AsSpan(0, i), word.AsSpan(i + 1, 1), word.AsSpan(i, 1), word.AsSpan(i + 2));
            if (typo != word && PgpWordList.IndexOf(typo, position) < 0 && CodeWords.Suggest(typo, position).Contains(word))
            {
                return typo;
            }
        }

        throw new InvalidOperationException($"no misspelling of {word} to type");
    }

    /// <summary>The rest of the screen line that <paramref name="at"/> is in.</summary>
    private static string LineAt(string screen, int at)
    {
        int end = screen.IndexOf('\n', at);
        return end < 0 ? screen[at..] : screen[at..end];
    }

    private static async Task FileContainsAsync(string path, string text)
    {
        DateTime deadline = DateTime.UtcNow + PtyProcess.Timeout;
        while (!(File.Exists(path) && (await File.ReadAllTextAsync(path)).Contains(text, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{path} never held '{text}'");
            }

            await Task.Delay(50);
        }
    }
}
