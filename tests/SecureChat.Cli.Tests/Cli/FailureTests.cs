using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

public class FailureTests
{
    private static Dictionary<string, string> Passphrase(string value) => new() { ["SECURECHAT_PASSPHRASE"] = value };

    [Fact]
    public async Task Same_passphrase_from_environment_and_file_chats_in_psk_mode()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string file = clientHome.File("passphrase.txt");
        File.WriteAllText(file, "tr0ub4dor & 3\nonly the first line counts\n");
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("tr0ub4dor & 3"), "--psk");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, null, "--psk", "--passphrase-file", file))
        {
            Assert.Equal("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256", (await client.EventAsync("handshake")).GetProperty("protocol").GetString());
            await client.WriteLineAsync("psk ok");
            Assert.Equal("psk ok", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Wrong_passphrase_fails_both_sides_with_exit_3_and_ends_a_one_shot_listener()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("right"), "--psk");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, Passphrase("wrong"), "--psk"))
        {
            JsonElement clientError = await client.EventAsync("error");
            Assert.Equal("auth-failed", clientError.GetProperty("code").GetString());
            string clientMessage = clientError.GetProperty("message").GetString()!;
            Assert.Contains("passphrases do not match", clientMessage, StringComparison.Ordinal);
            Assert.Contains("used up", clientMessage, StringComparison.Ordinal);
            Assert.Equal(3, await client.ExitCodeAsync());
            Assert.DoesNotContain("\"handshake\"", client.Stdout, StringComparison.Ordinal);

            // One passphrase, one attempt (docs/PROTOCOL.md §8): the one-shot listener ends too.
            JsonElement serverError = await listener.EventAsync("error");
            Assert.Equal("auth-failed", serverError.GetProperty("code").GetString());
            string serverMessage = serverError.GetProperty("message").GetString()!;
            Assert.StartsWith("Authentication failed", serverMessage, StringComparison.Ordinal);
            Assert.Contains("used up", serverMessage, StringComparison.Ordinal);
            Assert.Equal(3, await listener.ExitCodeAsync());
            Assert.DoesNotContain("\"handshake\"", listener.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Wrong_passphrase_says_authentication_failed_on_both_sides_and_the_client_never_says_established()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, Passphrase("right"), "--psk");
        await using (listener)
        await using (CliProcess client = CliProcess.Start(clientHome.Path, Passphrase("wrong"), "connect", "127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--psk"))
        {
            // The human output: the initiator reports a session only after READY decrypts
            // (docs/PROTOCOL.md §6), which never happens with a wrong passphrase.
            Assert.Equal(3, await client.ExitCodeAsync());
            string clientOutput = client.Stdout + client.Stderr;
            Assert.Contains("authentication failed", clientOutput, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Secure session established", clientOutput, StringComparison.Ordinal);

            Assert.Equal(3, await listener.ExitCodeAsync());
            string listenerOutput = listener.Stdout + listener.Stderr;
            Assert.Contains("authentication failed", listenerOutput, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("auth-failed", (await listener.EventAsync("error")).GetProperty("code").GetString(), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(clientHome.File("known_peers")) && File.ReadAllText(clientHome.File("known_peers")).Length > 0, "no pin is written before READY");
    }

    [Theory]
    [InlineData(true, false, "does not use a passphrase")]
    [InlineData(false, true, "requires a passphrase")]
    public async Task Passphrase_mode_mismatch_says_what_to_do_and_the_client_exits_3(bool clientPsk, bool serverPsk, string expected)
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = serverPsk
            ? await Launch.ListenAsync(serverHome.Path, Passphrase("pw"), "--psk")
            : await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = clientPsk ? Launch.Connect(clientHome.Path, port, Passphrase("pw"), "--psk") : Launch.Connect(clientHome.Path, port))
        {
            JsonElement error = await client.EventAsync("error");
            Assert.Equal("auth-failed", error.GetProperty("code").GetString());
            Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(3, await client.ExitCodeAsync());
            Assert.Equal("auth-failed", (await listener.EventAsync("handshake-failed")).GetProperty("code").GetString());
            listener.CloseInput(); // still waiting for a peer: the end of its input stops it
            Assert.Equal(0, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Nothing_listening_is_reported_with_exit_5()
    {
        using var home = new TempHome();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using CliProcess client = Launch.Connect(home.Path, port);
        JsonElement error = await client.EventAsync("error");
        Assert.Equal("io", error.GetProperty("code").GetString());
        Assert.Contains("Nothing is listening", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(5, await client.ExitCodeAsync());
    }

    [Fact]
    public async Task Port_already_in_use_is_reported_with_what_to_do()
    {
        using var home = new TempHome();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--json", "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        JsonElement error = await listener.EventAsync("error");
        Assert.Contains("already in use", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await listener.ExitCodeAsync());
    }

    [Theory]
    [InlineData("connect", "127.0.0.1", "--bogus")]
    [InlineData("connect", "host:notaport")]
    [InlineData("connect", "127.0.0.1", "--psk", "--passphrase", "secret")]
    [InlineData("connect", "127.0.0.1", "--psk")]
    [InlineData("listen", "--port", "70000")]
    [InlineData("frobnicate")]
    public async Task Usage_errors_exit_2_with_a_message(params string[] args)
    {
        using var home = new TempHome();
        await using CliProcess process = CliProcess.Start(home.Path, null, args);
        process.CloseInput();
        Assert.Equal(2, await process.ExitCodeAsync());
        Assert.NotEqual("", (process.Stderr + process.Stdout).Trim());
        Assert.DoesNotContain("Unhandled exception", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", process.Stderr + process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        using var home = new TempHome();
        await using CliProcess help = CliProcess.Start(home.Path, null, "--help");
        Assert.Equal(0, await help.ExitCodeAsync());
        foreach (string command in new[] { "listen", "connect", "id", "peers" })
        {
            Assert.Contains(command, help.Stdout, StringComparison.Ordinal);
        }
    }
}
