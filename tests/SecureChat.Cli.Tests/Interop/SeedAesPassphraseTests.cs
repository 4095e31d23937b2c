using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Interop;

/// <summary>
/// seed-aes keys are an unsalted SHA-256 of the passphrase, so a recorded seed-aes chat lets anyone
/// test guesses offline: its passphrase comes from its own variable and option, never from the
/// --psk ones, and reusing the --psk passphrase is warned about.
/// </summary>
public class SeedAesPassphraseTests
{
    [Fact]
    public async Task Seed_aes_does_not_take_the_psk_passphrase_from_the_environment()
    {
        using var home = new TempHome();
        await using CliProcess listener = CliProcess.Start(home.Path, new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "psk secret" },
            "listen", "--json", "--bind", "127.0.0.1", "--port", "0", "--compat", "seed-aes");
        listener.CloseInput();
        Assert.Equal(2, await listener.ExitCodeAsync());
        JsonElement error = await listener.EventAsync("error");
        Assert.Contains("SECURECHAT_SEED_AES_PASSPHRASE", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("--seed-aes-passphrase-file", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passphrase_file_with_seed_aes_is_a_usage_error_naming_the_right_option()
    {
        using var home = new TempHome();
        string file = home.File("pw");
        File.WriteAllText(file, "psk secret\n");
        await using CliProcess process = CliProcess.Start(home.Path, null, "connect", "127.0.0.1:1", "--json", "--compat", "seed-aes", "--passphrase-file", file);
        process.CloseInput();
        Assert.Equal(2, await process.ExitCodeAsync());
        Assert.Contains("--seed-aes-passphrase-file", (await process.EventAsync("error")).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("same passphrase", true)]
    [InlineData("another passphrase", false)]
    public async Task Reusing_the_psk_passphrase_for_seed_aes_is_warned_about(string seedAes, bool warned)
    {
        using var home = new TempHome();
        string file = home.File("seed-aes-passphrase");
        File.WriteAllText(file, seedAes + "\n");
        var environment = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "same passphrase" };
        var (listener, _) = await Launch.ListenAsync(home.Path, environment, "--compat", "seed-aes", "--seed-aes-passphrase-file", file);
        await using (listener)
        {
            listener.Kill();
            await listener.ExitCodeAsync();
            Assert.Equal(warned, listener.Stderr.Contains("same as SECURECHAT_PASSPHRASE", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Seed_aes_passphrase_from_its_own_variable_chats_end_to_end()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var listenerEnvironment = new Dictionary<string, string> { ["SECURECHAT_SEED_AES_PASSPHRASE"] = "shared" };
        string file = clientHome.File("seed-aes-passphrase");
        File.WriteAllText(file, "shared\n");
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, listenerEnvironment, "--compat", "seed-aes");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, null, "--compat", "seed-aes", "--seed-aes-passphrase-file", file))
        {
            await client.EventAsync("compat");
            await client.WriteLineAsync("over seed-aes");
            Assert.Equal("over seed-aes", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }
}
