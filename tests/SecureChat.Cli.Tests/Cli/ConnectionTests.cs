using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

public class ConnectionTests
{
    [Fact]
    public async Task A_killed_peer_is_connection_lost_with_exit_5_not_a_clean_end()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await listener.EventAsync("handshake");
            listener.Kill();

            JsonElement error = await client.EventAsync("error");
            Assert.Equal("io", error.GetProperty("code").GetString());
            Assert.Contains("without a goodbye", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            JsonElement closed = await client.EventAsync("closed");
            Assert.Equal("connection-lost", closed.GetProperty("reason").GetString());
            Assert.True(closed.GetProperty("keys_erased").GetBoolean());
            Assert.Equal(5, await client.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task A_silent_server_makes_the_handshake_time_out_with_exit_5()
    {
        using var home = new TempHome();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using CliProcess client = Launch.Connect(home.Path, port, null, "--handshake-timeout", "0.5");
        using Socket accepted = await silent.AcceptSocketAsync();
        JsonElement error = await client.EventAsync("error");
        Assert.Equal("timeout", error.GetProperty("code").GetString());
        Assert.Equal(5, await client.ExitCodeAsync());
    }

    [Fact]
    public async Task Without_host_the_client_asks_for_the_server_address()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = CliProcess.Start(clientHome.Path, null, "connect", "--json"))
        {
            await client.WriteLineAsync($"127.0.0.1:{port}");
            await client.EventAsync("handshake");
            Assert.Contains("Server address:", client.Stderr, StringComparison.Ordinal);
            await client.WriteLineAsync("asked and answered");
            Assert.Equal("asked and answered", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }
}
