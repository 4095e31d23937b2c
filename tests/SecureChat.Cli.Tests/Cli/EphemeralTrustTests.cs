using System.Globalization;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// known_peers and servers that claim a one-time identity: the claim is recorded for the address,
/// so that a persistent key there later is flagged as never verified instead of being trusted as an
/// ordinary first contact; and the file is the user's alone (0600) whatever the umask.
/// </summary>
public class EphemeralTrustTests
{
    /// <summary>A listener on a given port (known_peers entries are per host:port), once it listens.</summary>
    private static async Task<CliProcess> ListenOnAsync(string home, int port, params string[] extra)
    {
        CliProcess listener = CliProcess.Start(home, null, ["listen", "--json", "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), .. extra]);
        await listener.EventAsync("listening");
        return listener;
    }

    private static async Task<JsonElement> HandshakeWithAsync(CliProcess listener, string clientHome, int port)
    {
        await using CliProcess client = Launch.Connect(clientHome, port);
        JsonElement handshake = await client.EventAsync("handshake");
        client.CloseInput();
        Assert.Equal(0, await client.ExitCodeAsync());
        await listener.ExitCodeAsync();
        return handshake;
    }

    [Fact]
    public async Task A_persistent_key_where_one_time_identities_were_seen_is_reported_unverified()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string knownPeers = clientHome.File("known_peers");

        // First contact: the server claims a one-time identity. Nothing to pin, but it is recorded.
        var (first, port) = await Launch.ListenAsync(serverHome.Path, null, "--ephemeral");
        await using (first)
        {
            Assert.Equal("ephemeral", (await HandshakeWithAsync(first, clientHome.Path, port)).GetProperty("peer_status").GetString());
        }

        Assert.Equal($"127.0.0.1:{port} ephemeral", File.ReadAllText(knownPeers).Trim());
        await using (CliProcess peers = CliProcess.Start(clientHome.Path, null, "peers", "--json"))
        {
            JsonElement entry = JsonDocument.Parse(await peers.LineAsync(_ => true)).RootElement;
            Assert.Equal($"127.0.0.1:{port}", entry.GetProperty("address").GetString());
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("fingerprint").ValueKind);
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("key_type").ValueKind);
            Assert.True(entry.GetProperty("ephemeral").GetBoolean());
            Assert.Equal(0, await peers.ExitCodeAsync());
        }

        // Later a persistent key at that address: never verified, said loudly, then pinned.
        await using (CliProcess persistent = await ListenOnAsync(serverHome.Path, port))
        {
            await using CliProcess client = Launch.Connect(clientHome.Path, port);
            JsonElement handshake = await client.EventAsync("handshake");
            Assert.Equal("unverified", handshake.GetProperty("peer_status").GetString());
            await client.StderrContainsAsync("one-time identities before");
            Assert.Contains("session code", client.Stderr, StringComparison.Ordinal);
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
            string fingerprint = handshake.GetProperty("peer_fingerprint").GetString()!;
            Assert.Equal($"127.0.0.1:{port} x25519 {fingerprint}", File.ReadAllText(knownPeers).Trim());
        }

        // From now on the pinned key wins: known, and a one-time key at the address is a key change.
        await using (CliProcess again = await ListenOnAsync(serverHome.Path, port))
        {
            Assert.Equal("known", (await HandshakeWithAsync(again, clientHome.Path, port)).GetProperty("peer_status").GetString());
        }

        await using (CliProcess oneTime = await ListenOnAsync(serverHome.Path, port, "--ephemeral"))
        {
            await using CliProcess client = Launch.Connect(clientHome.Path, port);
            Assert.Equal("key-mismatch", (await client.EventAsync("error")).GetProperty("code").GetString());
            Assert.Equal(3, await client.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Peers_forget_removes_a_one_time_identity_record()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--ephemeral");
        await using (listener)
        {
            await HandshakeWithAsync(listener, clientHome.Path, port);
        }

        await using (CliProcess list = CliProcess.Start(clientHome.Path, null, "peers"))
        {
            Assert.Equal(0, await list.ExitCodeAsync());
            Assert.Contains($"127.0.0.1:{port}", list.Stdout, StringComparison.Ordinal);
            Assert.Contains("one-time identities only", list.Stdout, StringComparison.Ordinal);
        }

        await using (CliProcess forget = CliProcess.Start(clientHome.Path, null, "peers", "forget", $"127.0.0.1:{port}"))
        {
            Assert.Equal(0, await forget.ExitCodeAsync());
        }

        Assert.DoesNotContain($"127.0.0.1:{port}", File.ReadAllText(clientHome.File("known_peers")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_peers_is_written_0600_even_under_a_permissive_umask()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = CliProcess.StartUnderUmask("000", clientHome.Path, null, "connect", $"127.0.0.1:{port}", "--json"))
        {
            Assert.Equal("new", (await client.EventAsync("handshake")).GetProperty("peer_status").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(clientHome.File("known_peers")));
    }
}
