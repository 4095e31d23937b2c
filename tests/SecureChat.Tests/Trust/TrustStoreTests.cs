using SecureChat.Identity;
using SecureChat.Trust;

namespace SecureChat.Tests.Trust;

public sealed class TrustStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("securechat-trust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string NewFingerprint()
    {
        using var id = IdentityKeyPair.Generate();
        return id.Fingerprint;
    }

    [Theory]
    [InlineData("example.org", "example.org:5555")]
    [InlineData("Example.ORG:7000", "example.org:7000")]
    [InlineData("10.0.0.80", "10.0.0.80:5555")]
    [InlineData("10.0.0.80:12345", "10.0.0.80:12345")]
    [InlineData("::1", "[::1]:5555")]
    [InlineData("[::1]:6000", "[::1]:6000")]
    [InlineData("  localhost  ", "localhost:5555")]
    public void Addresses_in_every_form_users_write_them_parse(string text, string key)
    {
        Assert.True(PeerAddress.TryParse(text, 5555, out PeerAddress? address, out string? error), error);
        Assert.Equal(key, address!.Key);
    }

    [Theory]
    [InlineData("127.1:5555")]
    [InlineData("127.0.0.1:5555")]
    [InlineData("2130706433:5555")]
    [InlineData("0x7f.0.0.1:5555")]
    [InlineData("[::ffff:127.0.0.1]:5555")]
    [InlineData("[::FFFF:7F00:1]:5555")]
    public void Every_spelling_of_an_IPv4_address_has_the_dotted_quad_key(string text)
    {
        Assert.True(PeerAddress.TryParse(text, 1, out PeerAddress? address, out string? error), error);
        Assert.Equal("127.0.0.1:5555", address!.Key);
    }

    [Theory]
    [InlineData("[::1]:5555", "[::1]:5555")]
    [InlineData("[0:0::1]:5555", "[::1]:5555")]
    [InlineData("[0000:0000:0000:0000:0000:0000:0000:0001]:5555", "[::1]:5555")]
    [InlineData("[2001:DB8:0:0:1:0:0:1]:5555", "[2001:db8::1:0:0:1]:5555")]
    [InlineData("2001:db8:0:0:0:0:2:1", "[2001:db8::2:1]:5555")]
    public void IPv6_addresses_have_the_RFC_5952_key(string text, string key)
    {
        Assert.True(PeerAddress.TryParse(text, 5555, out PeerAddress? address, out string? error), error);
        Assert.Equal(key, address!.Key);
    }

    [Theory]
    [InlineData("Server.Example.ORG:7000", "server.example.org:7000")]
    [InlineData("server.example.org.:7000", "server.example.org:7000")]
    [InlineData("my-host_1:7000", "my-host_1:7000")]
    public void Host_names_are_keyed_in_lower_case_without_a_trailing_dot(string text, string key)
    {
        Assert.True(PeerAddress.TryParse(text, 5555, out PeerAddress? address, out string? error), error);
        Assert.Equal(key, address!.Key);
    }

    [Fact]
    public void Known_peers_written_under_another_spelling_are_found_remembered_and_forgotten()
    {
        string path = Path.Combine(_dir, "known_peers");
        string v4 = NewFingerprint();
        string v6 = NewFingerprint();
        File.WriteAllLines(path, ["127.1:5555 x25519 " + v4, "[0:0::1]:5555 x25519 " + v6]);
        PeerAddress.TryParse("127.0.0.1:5555", 1, out PeerAddress? dotted, out _);
        PeerAddress.TryParse("[::ffff:127.0.0.1]:5555", 1, out PeerAddress? mapped, out _);
        PeerAddress.TryParse("[::1]:5555", 1, out PeerAddress? loopback6, out _);

        var store = KnownPeers.Load(path);
        Assert.Equal(PeerStatus.Known, store.Check(dotted!, v4).Status);
        Assert.Equal(PeerStatus.Known, store.Check(mapped!, v4).Status);
        Assert.Equal(PeerStatus.Known, store.Check(loopback6!, v6).Status);
        Assert.Equal(PeerStatus.Changed, store.Check(dotted!, v6).Status);

        // Remembering replaces the old spelling instead of adding a second entry.
        string replacement = NewFingerprint();
        store.Remember(dotted!, replacement);
        Assert.Equal(["[0:0::1]:5555 x25519 " + v6, "127.0.0.1:5555 x25519 " + replacement], File.ReadAllLines(path));

        Assert.True(KnownPeers.Load(path).Forget(loopback6!));
        Assert.Equal(["127.0.0.1:5555 x25519 " + replacement], File.ReadAllLines(path));
    }

    [Fact]
    public void Two_spellings_of_one_address_with_different_keys_are_a_change_whichever_key_is_presented()
    {
        string path = Path.Combine(_dir, "known_peers");
        string first = NewFingerprint();
        string second = NewFingerprint();
        File.WriteAllLines(path, ["127.0.0.1:5555 x25519 " + first, "127.1:5555 x25519 " + second]);
        PeerAddress.TryParse("127.0.0.1:5555", 1, out PeerAddress? address, out _);

        var store = KnownPeers.Load(path);
        PeerCheck presentedFirst = store.Check(address!, first);
        Assert.Equal(PeerStatus.Changed, presentedFirst.Status);
        Assert.Equal(second, presentedFirst.Remembered);
        PeerCheck presentedSecond = store.Check(address!, second);
        Assert.Equal(PeerStatus.Changed, presentedSecond.Status);
        Assert.Equal(first, presentedSecond.Remembered);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("host:99999", "port")]
    [InlineData("host:abc", "port")]
    [InlineData("[::1", "']'")]
    [InlineData("[10.0.0.1]:5", "IPv6")]
    [InlineData("bad host", "not a host")]
    [InlineData("a\u001b[31m:5", "not a host")]
    public void Bad_addresses_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(PeerAddress.TryParse(text, 5555, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_peers_remembers_first_contact_and_detects_a_changed_key()
    {
        string path = Path.Combine(_dir, "known_peers");
        PeerAddress.TryParse("server:5555", 5555, out PeerAddress? server, out _);
        string first = NewFingerprint();
        string second = NewFingerprint();

        var store = KnownPeers.Load(path);
        Assert.Equal(PeerStatus.New, store.Check(server!, first).Status);
        store.Remember(server!, first);

        var reloaded = KnownPeers.Load(path);
        Assert.Equal(PeerStatus.Known, reloaded.Check(server!, first).Status);
        PeerCheck changed = reloaded.Check(server!, second);
        Assert.Equal(PeerStatus.Changed, changed.Status);
        Assert.Equal(first, changed.Remembered);

        Assert.True(reloaded.Forget(server!));
        Assert.False(reloaded.Forget(server!));
        Assert.Equal(PeerStatus.New, KnownPeers.Load(path).Check(server!, second).Status);
    }

    [Fact]
    public void Known_peers_keeps_lines_it_does_not_understand()
    {
        string path = Path.Combine(_dir, "known_peers");
        File.WriteAllLines(path, ["# my servers", "garbage line", "other:1 " + NewFingerprint()]);
        PeerAddress.TryParse("new:2", 5555, out PeerAddress? address, out _);
        KnownPeers.Load(path).Remember(address!, NewFingerprint());
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("# my servers", lines[0]);
        Assert.Equal("garbage line", lines[1]);
        Assert.Equal(4, lines.Length);
        Assert.Equal(2, KnownPeers.Load(path).Entries.Count);
    }

    [Fact]
    public void Known_peers_records_one_time_identities_without_letting_them_displace_a_pinned_key()
    {
        string path = Path.Combine(_dir, "known_peers");
        string pinned = NewFingerprint();
        File.WriteAllLines(path, ["# an older file", "pinned:5555 x25519 " + pinned]);
        PeerAddress.TryParse("pinned:5555", 5555, out PeerAddress? pinnedAddress, out _);
        PeerAddress.TryParse("oneTime:5555", 5555, out PeerAddress? oneTime, out _);

        var store = KnownPeers.Load(path);
        store.RememberEphemeral(oneTime!);
        store.RememberEphemeral(pinnedAddress!); // a key is pinned there: nothing changes
        Assert.Equal(["# an older file", "pinned:5555 x25519 " + pinned, "onetime:5555 ephemeral"], File.ReadAllLines(path));

        var reloaded = KnownPeers.Load(path);
        Assert.Equal(PeerStatus.EphemeralBefore, reloaded.Check(oneTime!, NewFingerprint()).Status);
        Assert.Equal(PeerStatus.Known, reloaded.Check(pinnedAddress!, pinned).Status);
        Assert.Contains(new KnownPeer("onetime:5555", null, null), reloaded.Entries);

        // Pinning a key at the address replaces the mark; forgetting removes either.
        string later = NewFingerprint();
        reloaded.Remember(oneTime!, later);
        Assert.Equal(PeerStatus.Known, KnownPeers.Load(path).Check(oneTime!, later).Status);
        Assert.DoesNotContain("onetime:5555 ephemeral", File.ReadAllLines(path));
        reloaded.RememberEphemeral(PeerAddress.TryParse("gone:1", 5555, out PeerAddress? gone, out _) ? gone! : throw new InvalidOperationException());
        Assert.True(reloaded.Forget(gone!));
        Assert.Equal(PeerStatus.New, KnownPeers.Load(path).Check(gone!, later).Status);
    }

    [Fact]
    public void Authorized_peers_accepts_comments_and_names_the_bad_line()
    {
        string good = NewFingerprint();
        string path = Path.Combine(_dir, "authorized");
        File.WriteAllLines(path, ["# team", "", good + " alice laptop"]);
        var peers = AuthorizedPeers.Load(path);
        Assert.True(peers.IsAuthorized(good));
        Assert.Equal("alice laptop", peers.CommentFor(good));
        Assert.False(peers.IsAuthorized(NewFingerprint()));

        File.WriteAllLines(path, [good, "SHA256:not-a-fingerprint bob"]);
        var error = Assert.Throws<InvalidDataException>(() => AuthorizedPeers.Load(path));
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_is_created_once_with_owner_only_permissions_and_loads_back()
    {
        var store = new IdentityStore(Path.Combine(_dir, "home"));
        string fingerprint;
        using (IdentityKeyPair created = store.LoadOrCreate(out bool wasCreated))
        {
            Assert.True(wasCreated);
            fingerprint = created.Fingerprint;
        }

        using (IdentityKeyPair loaded = store.LoadOrCreate(out bool wasCreated))
        {
            Assert.False(wasCreated);
            Assert.Equal(fingerprint, loaded.Fingerprint);
        }

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(store.IdentityPath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.IdentityPath));
            Assert.False(store.IdentityIsExposed());
            File.SetUnixFileMode(store.IdentityPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            Assert.True(store.IdentityIsExposed());
        }
    }

    [Fact]
    public void A_damaged_identity_file_is_reported_not_replaced()
    {
        var store = new IdentityStore(Path.Combine(_dir, "home2"));
        Directory.CreateDirectory(store.Home);
        File.WriteAllText(store.IdentityPath, "not a key");
        var error = Assert.Throws<InvalidDataException>(() => store.LoadOrCreate(out _));
        Assert.Contains(store.IdentityPath, error.Message, StringComparison.Ordinal);
        Assert.Equal("not a key", File.ReadAllText(store.IdentityPath));
    }

    [Fact]
    public void Fingerprints_have_the_openssh_shape()
    {
        string fingerprint = NewFingerprint();
        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}$", fingerprint);
        Assert.True(Fingerprint.IsWellFormed(fingerprint));
        Assert.False(Fingerprint.IsWellFormed(fingerprint[..^1]));
        Assert.False(Fingerprint.IsWellFormed("MD5:" + fingerprint[7..]));
    }
}
