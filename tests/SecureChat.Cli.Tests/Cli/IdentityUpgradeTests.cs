using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// The v2 identity (docs/PROTOCOL.md §7): an X25519 key whose type 'id' shows; a v1 (P-256)
/// identity.key is moved aside with a notice and vouches for the new key, so that a v1 pin is
/// upgraded only by a peer that proves it holds the pinned key.
/// </summary>
public class IdentityUpgradeTests
{
    /// <summary>DER of the X25519 algorithm OID 1.3.101.110.</summary>
    private static readonly byte[] X25519Oid = [0x06, 0x03, 0x2B, 0x65, 0x6E];

    /// <summary>Writes a v1 identity (P-256, PKCS#8 PEM, mode 0600) into <paramref name="home"/> and returns its v1 fingerprint.</summary>
    private static string WriteV1Identity(TempHome home)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(home.File("identity.key"), key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(home.File("identity.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        ECPoint q = key.ExportParameters(false).Q;
        byte[] point = [0x04, .. q.X!, .. q.Y!];
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(point)).TrimEnd('=');
    }

    private static async Task<(string Fingerprint, string KeyType, string Output)> IdAsync(TempHome home)
    {
        await using CliProcess id = CliProcess.Start(home.Path, null, "id", "--json");
        string line = await id.LineAsync(l => l.Contains("\"identity\"", StringComparison.Ordinal));
        Assert.Equal(0, await id.ExitCodeAsync());
        using JsonDocument document = JsonDocument.Parse(line);
        return (document.RootElement.GetProperty("fingerprint").GetString()!, document.RootElement.GetProperty("key_type").GetString()!, id.Stdout + id.Stderr);
    }

    private static bool IsX25519Pem(string path)
    {
        string pem = File.ReadAllText(path);
        PemFields fields = PemEncoding.Find(pem);
        Assert.Equal("PRIVATE KEY", pem[fields.Label]);
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        return der.AsSpan().IndexOf(X25519Oid) >= 0;
    }

    [Fact]
    public async Task Id_shows_the_key_type()
    {
        using var home = new TempHome();
        await using (CliProcess id = CliProcess.Start(home.Path, null, "id"))
        {
            Assert.Equal(0, await id.ExitCodeAsync());
            Assert.Contains("(x25519)", id.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal("x25519", (await IdAsync(home)).KeyType);
        Assert.True(IsX25519Pem(home.File("identity.key")));
    }

    [Fact]
    public async Task A_v1_identity_is_moved_aside_once_with_a_notice_and_replaced_by_an_x25519_key()
    {
        using var home = new TempHome();
        string v1Fingerprint = WriteV1Identity(home);

        var (fingerprint, keyType, output) = await IdAsync(home);
        Assert.Contains("Moved your SecureChat v1 (P-256) identity to " + home.File("identity.p256.key"), output, StringComparison.Ordinal);
        Assert.Equal("x25519", keyType);
        Assert.NotEqual(v1Fingerprint, fingerprint);
        Assert.True(File.Exists(home.File("identity.p256.key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(home.File("identity.p256.key")));
        }
        Assert.True(IsX25519Pem(home.File("identity.key")));
        Assert.False(IsX25519Pem(home.File("identity.p256.key")));

        // Only once: the next run finds an X25519 key and says nothing about the move.
        var again = await IdAsync(home);
        Assert.Equal(fingerprint, again.Fingerprint);
        Assert.DoesNotContain("Moved your SecureChat v1", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_v1_pin_is_upgraded_by_a_peer_that_proves_the_v1_key_and_only_flagged_otherwise()
    {
        using var serverHome = new TempHome();
        using var impostorHome = new TempHome();
        using var clientHome = new TempHome();
        using var otherClientHome = new TempHome();
        string v1Fingerprint = WriteV1Identity(serverHome);
        string serverFingerprint = (await IdAsync(serverHome)).Fingerprint; // migrates: identity.p256.key now vouches
        Assert.True(File.Exists(serverHome.File("identity.p256.key")));

        // The real server, holding the v1 key: the client's v1 pin becomes an x25519 pin.
        var (server, port) = await Launch.ListenAsync(serverHome.Path);
        string address = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(clientHome.File("known_peers"), $"{address} {v1Fingerprint}\n");
        await using (server)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            JsonElement handshake = await client.EventAsync("handshake");
            Assert.NotEqual("older-version-unconfirmed", handshake.GetProperty("peer_status").GetString());
            Assert.Equal(serverFingerprint, handshake.GetProperty("peer_fingerprint").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.DoesNotContain(HumanOutputPhrase, client.Stdout + client.Stderr, StringComparison.Ordinal);
        }

        string upgraded = File.ReadAllText(clientHome.File("known_peers"));
        Assert.Contains($"{address} x25519 {serverFingerprint}", upgraded, StringComparison.Ordinal);

        // A server without the v1 key (no identity.p256.key) on an address with a v1 pin: not trusted
        // silently, flagged, and the pin is left as it was.
        var (impostor, impostorPort) = await Launch.ListenAsync(impostorHome.Path);
        string impostorAddress = "127.0.0.1:" + impostorPort.ToString(CultureInfo.InvariantCulture);
        string pin = $"{impostorAddress} {v1Fingerprint}\n";
        File.WriteAllText(otherClientHome.File("known_peers"), pin);
        await using (impostor)
        await using (CliProcess client = Launch.Connect(otherClientHome.Path, impostorPort))
        {
            JsonElement handshake = await client.EventAsync("handshake");
            Assert.Equal("older-version-unconfirmed", handshake.GetProperty("peer_status").GetString());
            await client.StderrContainsAsync(HumanOutputPhrase);
            client.CloseInput();
            await client.ExitCodeAsync();
        }

        Assert.Equal(pin, File.ReadAllText(otherClientHome.File("known_peers")));
    }

    private const string HumanOutputPhrase = "recorded by an older version, not confirmed: compare the session code";
}
