using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

public class TrustTests
{
    [Fact]
    public async Task Server_key_is_new_then_known_then_a_change_is_refused_until_forgotten()
    {
        using var serverHome = new TempHome();
        using var impostorHome = new TempHome();
        using var clientHome = new TempHome();

        // Fix the port so that the known_peers entry (host:port) is the same each time.
        var (first, port) = await Launch.ListenAsync(serverHome.Path);
        string serverFingerprint;
        await using (first)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            JsonElement handshake = await client.EventAsync("handshake");
            Assert.Equal("new", handshake.GetProperty("peer_status").GetString());
            serverFingerprint = handshake.GetProperty("peer_fingerprint").GetString()!;
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }

        string knownPeers = File.ReadAllText(clientHome.File("known_peers"));
        Assert.Equal($"127.0.0.1:{port} x25519 {serverFingerprint}", knownPeers.Trim());

        await using (CliProcess again = CliProcess.Start(serverHome.Path, null, "listen", "--json", "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            await again.EventAsync("listening");
            await using CliProcess client = Launch.Connect(clientHome.Path, port);
            Assert.Equal("known", (await client.EventAsync("handshake")).GetProperty("peer_status").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }

        // Another identity on the same address: refused before any message, exit 3.
        await using (CliProcess impostor = CliProcess.Start(impostorHome.Path, null, "listen", "--json", "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            await impostor.EventAsync("listening");
            await using CliProcess client = Launch.Connect(clientHome.Path, port);
            JsonElement error = await client.EventAsync("error");
            Assert.Equal("key-mismatch", error.GetProperty("code").GetString());
            Assert.Equal(3, await client.ExitCodeAsync());
            Assert.Contains("HAS CHANGED", client.Stderr, StringComparison.Ordinal);
            Assert.Contains($"securechat peers forget 127.0.0.1:{port}", client.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("\"sent\"", client.Stdout, StringComparison.Ordinal);

            // The client decided inside the handshake, after message 2: it sent REFUSE 7 (key
            // mismatch) instead of message 3 (docs/PROTOCOL.md §5), so the impostor never learned the
            // client's identity, never completed a handshake, and reports a failed handshake with
            // what the client says, marked unauthenticated.
            JsonElement failed = await impostor.EventAsync("handshake-failed");
            Assert.Equal("key-mismatch", failed.GetProperty("code").GetString());
            Assert.Contains("says (unauthenticated)", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("\"handshake\"", impostor.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("\"received\"", impostor.Stdout, StringComparison.Ordinal);
        }

        // Forgetting the old key lets the next connection remember the new one.
        await using (CliProcess forget = CliProcess.Start(clientHome.Path, null, "peers", "forget", $"127.0.0.1:{port}"))
        {
            Assert.Equal(0, await forget.ExitCodeAsync());
        }

        Assert.DoesNotContain(serverFingerprint, File.ReadAllText(clientHome.File("known_peers")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peers_forget_accepts_any_spelling_of_an_address_remembered_under_another()
    {
        using var home = new TempHome();
        string fingerprint = "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('=');
        File.WriteAllLines(home.File("known_peers"), ["127.1:5555 " + fingerprint, "other:5555 " + fingerprint]);
        await using (CliProcess forget = CliProcess.Start(home.Path, null, "peers", "forget", "[::ffff:127.0.0.1]:5555"))
        {
            Assert.Equal(0, await forget.ExitCodeAsync());
            Assert.Contains("Forgot what was remembered for 127.0.0.1:5555.", forget.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(["other:5555 " + fingerprint], File.ReadAllLines(home.File("known_peers")));
    }

    [Fact]
    public async Task A_key_pinned_by_an_older_version_and_not_proven_is_accepted_unconfirmed_and_never_remembered()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--keep-open");
        await using (listener)
        {
            // A v1 line (no key type) for this address, of a key the server cannot prove it holds.
            string v1Pin = $"127.0.0.1:{port} SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('=');
            File.WriteAllLines(clientHome.File("known_peers"), ["# from securechat 0.1", v1Pin]);
            byte[] before = File.ReadAllBytes(clientHome.File("known_peers"));

            await using (CliProcess client = Launch.Connect(clientHome.Path, port))
            {
                Assert.Equal("older-version-unconfirmed", (await client.EventAsync("handshake")).GetProperty("peer_status").GetString());
                await client.StderrContainsAsync("recorded by an older version, not confirmed: compare the session code");
                client.CloseInput();
                Assert.Equal(0, await client.ExitCodeAsync());
            }

            Assert.Equal(before, File.ReadAllBytes(clientHome.File("known_peers")));

            await using (CliProcess human = CliProcess.Start(clientHome.Path, null, "connect", $"127.0.0.1:{port}"))
            {
                string status = await human.LineAsync(l => l.Contains("Peer fingerprint:", StringComparison.Ordinal));
                Assert.EndsWith("NOT CONFIRMED (recorded by an older version, not confirmed: compare the session code)", status, StringComparison.Ordinal);
                await human.LineAsync(l => l.StartsWith("Type a message", StringComparison.Ordinal));
                Assert.Contains($"securechat peers forget 127.0.0.1:{port}", human.Stderr, StringComparison.Ordinal);
                human.CloseInput();
                Assert.Equal(0, await human.ExitCodeAsync());
            }

            Assert.Equal(before, File.ReadAllBytes(clientHome.File("known_peers")));
        }
    }

    [Fact]
    public async Task Peers_lists_the_key_type_of_every_remembered_server()
    {
        using var home = new TempHome();
        string current = "SHA256:" + Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray()).TrimEnd('=');
        string old = "SHA256:" + Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray()).TrimEnd('=');
        File.WriteAllLines(home.File("known_peers"), ["new:5555 x25519 " + current, "old:5555 " + old, "gone:5555 ephemeral"]);

        await using (CliProcess list = CliProcess.Start(home.Path, null, "peers"))
        {
            Assert.Equal(0, await list.ExitCodeAsync());
            Assert.Equal(
                ["new:5555 x25519 " + current, "old:5555 p256 " + old, "gone:5555 (one-time identities only: no key remembered)"],
                list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        await using (CliProcess json = CliProcess.Start(home.Path, null, "peers", "--json"))
        {
            Assert.Equal(0, await json.ExitCodeAsync());
            JsonElement[] entries = [.. json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
            Assert.Equal(["x25519", "p256", null], entries.Select(e => e.GetProperty("key_type").GetString()));
            Assert.Equal([current, old, null], entries.Select(e => e.GetProperty("fingerprint").GetString()));
            Assert.Equal([false, false, true], entries.Select(e => e.GetProperty("ephemeral").GetBoolean()));
        }
    }

    [Fact]
    public async Task Authorized_peers_admits_a_listed_fingerprint_and_refuses_others_with_exit_3()
    {
        using var serverHome = new TempHome();
        using var friendHome = new TempHome();
        using var strangerHome = new TempHome();

        string friend;
        await using (CliProcess id = CliProcess.Start(friendHome.Path, null, "id", "--json"))
        {
            friend = JsonDocument.Parse(await id.LineAsync(_ => true)).RootElement.GetProperty("fingerprint").GetString()!;
            Assert.Equal(0, await id.ExitCodeAsync());
        }

        string file = serverHome.File("authorized");
        File.WriteAllLines(file, ["# friends", friend + " my friend"]);

        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--authorized-peers", file, "--keep-open");
        await using (listener)
        {
            await using (CliProcess stranger = Launch.Connect(strangerHome.Path, port))
            {
                JsonElement error = await stranger.EventAsync("error");
                Assert.Equal("auth-failed", error.GetProperty("code").GetString());
                Assert.Contains("does not authorize", error.GetProperty("message").GetString(), StringComparison.Ordinal);
                Assert.Equal(3, await stranger.ExitCodeAsync());
                Assert.Equal("auth-failed", (await listener.EventAsync("handshake-failed")).GetProperty("code").GetString());
            }

            await using (CliProcess welcome = Launch.Connect(friendHome.Path, port))
            {
                await welcome.EventAsync("handshake");
                Assert.Equal("known", (await listener.EventAsync("handshake")).GetProperty("peer_status").GetString());
                await welcome.WriteLineAsync("let me in");
                Assert.Equal("let me in", (await listener.EventAsync("received")).GetProperty("text").GetString());
                welcome.CloseInput();
                Assert.Equal(0, await welcome.ExitCodeAsync());
            }
        }
    }

    [Fact]
    public async Task Ephemeral_identity_writes_nothing_and_is_reported_as_ephemeral()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--ephemeral");
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port, null, "--ephemeral"))
        {
            Assert.Equal("ephemeral", (await client.EventAsync("handshake")).GetProperty("peer_status").GetString());
            Assert.Equal("ephemeral", (await listener.EventAsync("handshake")).GetProperty("peer_status").GetString());
            client.CloseInput();
            Assert.True((await client.EventAsync("closed")).GetProperty("keys_erased").GetBoolean());
            Assert.Equal(0, await client.ExitCodeAsync());
        }

        Assert.Empty(Directory.GetFileSystemEntries(serverHome.Path));
        Assert.Empty(Directory.GetFileSystemEntries(clientHome.Path));
    }

    [Fact]
    public async Task Id_prints_the_same_fingerprint_every_time_and_creates_an_owner_only_key()
    {
        using var home = new TempHome();
        var fingerprints = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            await using CliProcess id = CliProcess.Start(home.Path, null, "id", "--json");
            JsonElement identity = JsonDocument.Parse(await id.LineAsync(_ => true)).RootElement;
            Assert.Equal("identity", identity.GetProperty("event").GetString());
            fingerprints.Add(identity.GetProperty("fingerprint").GetString()!);
            Assert.Equal(0, await id.ExitCodeAsync());
        }

        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}$", fingerprints[0]);
        Assert.Equal(fingerprints[0], fingerprints[1]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(home.File("identity.key")));
        }
    }
}
