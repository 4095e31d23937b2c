using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Tests.Trust;

/// <summary>
/// The trust store across the v1 → v2 identity change (docs/PROTOCOL.md §7): known_peers records the
/// key type, a v1 (P-256) pin is upgraded only when the peer proves it still holds that key (its
/// cross-signature, <see cref="PeerInfo.V1Fingerprint"/>), otherwise the new key is accepted as
/// "recorded by an older version, not confirmed" and never remembered; authorized peers listed by
/// a v1 fingerprint get in only with that proof, with a notice to add the new fingerprint.
/// </summary>
public sealed class V1PinUpgradeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("securechat-v1pins-").FullName;

    private string KnownPeersPath => Path.Combine(_dir, KnownPeers.FileName);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly PeerAddress Server = new("server", 5555);

    /// <summary>A fingerprint of no key in particular: stands for a v1 (P-256) identity's.</summary>
    private static string V1Fingerprint() => Fingerprint.Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=');

    /// <summary>A peer as the handshake hands it to the policy; <paramref name="v1"/> is what its cross-signature proved.</summary>
    private static PeerInfo Peer(string? v1 = null, bool ephemeral = false)
    {
        using var identity = IdentityKeyPair.Generate();
        using JsonDocument payload = JsonDocument.Parse(ephemeral ? """{"ephemeral":true}""" : "{}");
        return PeerInfo.From(identity.PublicKey.Span, payload.RootElement.Clone(), null, v1);
    }

    private void WriteKnownPeers(params string[] lines) => File.WriteAllLines(KnownPeersPath, lines);

    [Fact]
    public void PeerInfo_carries_the_proven_v1_fingerprint_only_when_given_one()
    {
        string v1 = V1Fingerprint();
        Assert.Equal(v1, Peer(v1).V1Fingerprint);
        Assert.Null(Peer().V1Fingerprint);
        using var identity = IdentityKeyPair.Generate();
        using JsonDocument payload = JsonDocument.Parse("{}");
        Assert.Throws<ArgumentException>(() => PeerInfo.From(identity.PublicKey.Span, payload.RootElement, null, "SHA256:short"));
    }

    [Fact]
    public void Typed_untyped_and_ephemeral_lines_all_load_with_their_key_type()
    {
        string current = V1Fingerprint();
        string old = V1Fingerprint();
        string typedOld = V1Fingerprint();
        WriteKnownPeers(
            "new.example:5555 x25519 " + current,
            "OLD.example:5555 " + old,
            "typed.example:5555 p256 " + typedOld,
            "gone.example:5555 ephemeral",
            "future.example:5555 ed448 " + current,
            "broken.example:5555 x25519",
            "# comment");

        IReadOnlyList<KnownPeer> entries = KnownPeers.Load(KnownPeersPath).Entries;
        Assert.Equal(
            [
                new KnownPeer("new.example:5555", PeerKeyType.X25519, current),
                new KnownPeer("old.example:5555", PeerKeyType.P256, old),
                new KnownPeer("typed.example:5555", PeerKeyType.P256, typedOld),
                new KnownPeer("gone.example:5555", null, null),
            ],
            entries);
        Assert.Equal(["x25519", "p256", "p256", null], entries.Select(e => e.KeyTypeName));
        Assert.Equal([false, false, false, true], entries.Select(e => e.IsEphemeral));
    }

    [Fact]
    public void Remember_writes_the_typed_form_and_replaces_an_untyped_v1_line_keeping_the_rest()
    {
        string old = V1Fingerprint();
        string other = V1Fingerprint();
        string current = V1Fingerprint();
        WriteKnownPeers("# mine", "server:5555 " + old, "other:5555 " + other, "not a line at all");

        KnownPeers.Load(KnownPeersPath).Remember(Server, current);

        Assert.Equal(["# mine", "other:5555 " + other, "not a line at all", "server:5555 x25519 " + current], File.ReadAllLines(KnownPeersPath));
    }

    [Fact]
    public void An_x25519_pin_is_known_or_a_change_whatever_v1_key_the_peer_proves()
    {
        string pinned = V1Fingerprint();
        string v1 = V1Fingerprint();
        WriteKnownPeers("server:5555 x25519 " + pinned);
        var store = KnownPeers.Load(KnownPeersPath);

        Assert.Equal(new PeerCheck(PeerStatus.Known, pinned), store.Check(Server, pinned, v1));
        Assert.Equal(new PeerCheck(PeerStatus.Changed, pinned), store.Check(Server, V1Fingerprint()));
        Assert.Equal(new PeerCheck(PeerStatus.Changed, pinned), store.Check(Server, V1Fingerprint(), v1));
    }

    [Fact]
    public void A_v1_pin_is_upgradable_when_the_peer_proves_that_very_key()
    {
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        Assert.Equal(new PeerCheck(PeerStatus.Upgradable, old), KnownPeers.Load(KnownPeersPath).Check(Server, V1Fingerprint(), old));

        WriteKnownPeers("server:5555 p256 " + old);
        Assert.Equal(new PeerCheck(PeerStatus.Upgradable, old), KnownPeers.Load(KnownPeersPath).Check(Server, V1Fingerprint(), old));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_v1_pin_the_peer_does_not_prove_is_unconfirmed_not_a_change(bool provesAnotherV1Key)
    {
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        PeerCheck check = KnownPeers.Load(KnownPeersPath).Check(Server, V1Fingerprint(), provesAnotherV1Key ? V1Fingerprint() : null);
        Assert.Equal(new PeerCheck(PeerStatus.OlderVersionUnconfirmed, old), check);
    }

    [Fact]
    public void Two_spellings_with_different_v1_pins_cannot_both_be_proven_so_the_key_stays_unconfirmed()
    {
        string first = V1Fingerprint();
        string second = V1Fingerprint();
        WriteKnownPeers("127.0.0.1:5555 " + first, "127.1:5555 " + second);
        PeerAddress address = new("127.0.0.1", 5555);
        var store = KnownPeers.Load(KnownPeersPath);
        Assert.Equal(PeerStatus.OlderVersionUnconfirmed, store.Check(address, V1Fingerprint(), first).Status);
        Assert.Equal(PeerStatus.OlderVersionUnconfirmed, store.Check(address, V1Fingerprint(), second).Status);
    }

    [Fact]
    public void An_x25519_pin_wins_over_a_v1_line_an_older_version_added_beside_it()
    {
        string current = V1Fingerprint();
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 x25519 " + current, "server:5555 " + old);
        var store = KnownPeers.Load(KnownPeersPath);
        Assert.Equal(PeerStatus.Known, store.Check(Server, current).Status);
        Assert.Equal(new PeerCheck(PeerStatus.Changed, current), store.Check(Server, V1Fingerprint(), old));
    }

    [Fact]
    public void A_peer_that_presents_the_pinned_v1_key_itself_is_known()
    {
        // A v1 handshake (P-256 static key): the very key the older version remembered.
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        Assert.Equal(new PeerCheck(PeerStatus.Known, old), KnownPeers.Load(KnownPeersPath).Check(Server, old));
    }

    [Fact]
    public void Policy_accepts_a_proven_v1_pin_as_known_and_commit_replaces_it_with_the_x25519_key()
    {
        string old = V1Fingerprint();
        WriteKnownPeers("# servers", "server:5555 " + old);
        PeerInfo peer = Peer(old);
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);

        PeerVerdict verdict = policy.Verify(peer);
        Assert.True(verdict.IsAccepted);
        Assert.Equal(PeerTrust.Known, verdict.Trust);
        Assert.Equal(PeerStatus.Upgradable, policy.Check!.Status);
        Assert.Equal(old, policy.Check.Remembered);
        Assert.Equal(["# servers", "server:5555 " + old], File.ReadAllLines(KnownPeersPath)); // nothing before the commit

        Assert.True(policy.Commit(new FakeSession(peer.Fingerprint, verdict.Trust)));
        Assert.Equal(["# servers", "server:5555 x25519 " + peer.Fingerprint], File.ReadAllLines(KnownPeersPath));

        // The next connection knows the new key, and no longer needs the old one.
        var next = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);
        Assert.Equal(PeerTrust.Known, next.Verify(PeerInfoWithKeyOf(peer)).Trust);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Policy_accepts_an_unproven_v1_pin_as_older_version_unconfirmed_and_commit_never_trusts_it(bool provesAnotherV1Key, bool claimsEphemeral)
    {
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        byte[] before = File.ReadAllBytes(KnownPeersPath);
        PeerInfo peer = Peer(provesAnotherV1Key ? V1Fingerprint() : null, claimsEphemeral);
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);

        PeerVerdict verdict = policy.Verify(peer);
        Assert.True(verdict.IsAccepted);
        Assert.Equal(PeerTrust.OlderVersionUnconfirmed, verdict.Trust); // not Ephemeral: the comparison is never skipped
        Assert.Null(verdict.Notice);
        Assert.Equal(new PeerCheck(PeerStatus.OlderVersionUnconfirmed, old), policy.Check);

        Assert.False(policy.Commit(new FakeSession(peer.Fingerprint, verdict.Trust)));
        Assert.Equal(before, File.ReadAllBytes(KnownPeersPath));

        // Still unconfirmed next time: only the user (forget, after comparing the code) moves it on.
        Assert.Equal(PeerTrust.OlderVersionUnconfirmed, new KnownPeersPolicy(KnownPeersPath, Server, remember: true).Verify(PeerInfoWithKeyOf(peer)).Trust);
    }

    [Fact]
    public void A_one_time_key_vouched_for_by_the_v1_key_is_known_but_never_pinned()
    {
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        byte[] before = File.ReadAllBytes(KnownPeersPath);
        PeerInfo peer = Peer(old, ephemeral: true);
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);

        PeerVerdict verdict = policy.Verify(peer);
        Assert.Equal(PeerTrust.Known, verdict.Trust);
        Assert.False(policy.Commit(new FakeSession(peer.Fingerprint, verdict.Trust)));
        Assert.Equal(before, File.ReadAllBytes(KnownPeersPath));
    }

    [Fact]
    public void A_one_time_key_where_an_x25519_key_is_pinned_is_still_a_change()
    {
        WriteKnownPeers("server:5555 x25519 " + V1Fingerprint());
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);
        PeerVerdict verdict = policy.Verify(Peer(ephemeral: true));
        Assert.False(verdict.IsAccepted);
        Assert.Equal(PeerRejection.KeyMismatch, verdict.Rejection);
    }

    [Fact]
    public void A_side_that_may_not_write_leaves_a_proven_v1_pin_alone()
    {
        string old = V1Fingerprint();
        WriteKnownPeers("server:5555 " + old);
        PeerInfo peer = Peer(old);
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: false);
        Assert.Equal(PeerTrust.Known, policy.Verify(peer).Trust);
        Assert.False(policy.Commit(new FakeSession(peer.Fingerprint, PeerTrust.Known)));
        Assert.Equal(["server:5555 " + old], File.ReadAllLines(KnownPeersPath));
    }

    [Fact]
    public void New_pins_from_the_policy_are_written_typed()
    {
        PeerInfo peer = Peer();
        var policy = new KnownPeersPolicy(KnownPeersPath, Server, remember: true);
        Assert.Equal(PeerTrust.New, policy.Verify(peer).Trust);
        Assert.True(policy.Commit(new FakeSession(peer.Fingerprint, PeerTrust.New)));
        Assert.Equal(["server:5555 x25519 " + peer.Fingerprint], File.ReadAllLines(KnownPeersPath));
    }

    [Fact]
    public void Authorized_v1_fingerprint_admits_a_peer_that_proves_it_with_a_notice_naming_the_line_to_add()
    {
        string v1 = V1Fingerprint();
        string file = Path.Combine(_dir, "authorized");
        File.WriteAllLines(file, ["# friends", v1 + " alice laptop"]);
        var policy = new AuthorizedPeersPolicy(AuthorizedPeers.Load(file));
        PeerInfo peer = Peer(v1);

        PeerVerdict verdict = policy.Verify(peer);
        Assert.True(verdict.IsAccepted);
        Assert.Equal(PeerTrust.Known, verdict.Trust);
        Assert.NotNull(verdict.Notice);
        Assert.Contains(v1, verdict.Notice, StringComparison.Ordinal);
        Assert.Contains(file, verdict.Notice, StringComparison.Ordinal);
        Assert.EndsWith($"as the line: {peer.Fingerprint} alice laptop", verdict.Notice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Authorized_v1_fingerprint_without_its_proof_lets_nobody_in(bool provesAnotherV1Key)
    {
        string v1 = V1Fingerprint();
        string file = Path.Combine(_dir, "authorized");
        File.WriteAllLines(file, [v1]);
        var policy = new AuthorizedPeersPolicy(AuthorizedPeers.Load(file));

        PeerVerdict verdict = policy.Verify(Peer(provesAnotherV1Key ? V1Fingerprint() : null));
        Assert.False(verdict.IsAccepted);
        Assert.Equal(PeerRejection.NotAuthorized, verdict.Rejection);
        Assert.Null(verdict.Notice);
    }

    [Fact]
    public void Authorized_new_fingerprint_admits_without_a_notice_whatever_v1_key_is_proven()
    {
        PeerInfo peer = Peer(V1Fingerprint());
        string file = Path.Combine(_dir, "authorized");
        File.WriteAllLines(file, [peer.Fingerprint]);
        PeerVerdict verdict = new AuthorizedPeersPolicy(AuthorizedPeers.Load(file)).Verify(peer);
        Assert.Equal(PeerTrust.Known, verdict.Trust);
        Assert.Null(verdict.Notice);
        Assert.Equal(file, AuthorizedPeers.Load(file).Path);
    }

    /// <summary>The same static key as <paramref name="peer"/>, in a later handshake that proves no v1 key.</summary>
    private static PeerInfo PeerInfoWithKeyOf(PeerInfo peer)
    {
        using JsonDocument payload = JsonDocument.Parse("{}");
        return PeerInfo.From(peer.StaticPublicKey.Span, payload.RootElement.Clone(), null);
    }

    /// <summary>Just enough of an established session for <see cref="KnownPeersPolicy.Commit"/>.</summary>
    private sealed class FakeSession(string peerFingerprint, PeerTrust trust) : IAuthenticatedSession
    {
        public bool IsInitiator => true;

        public string ProtocolName => "test";

        public bool KeysErased => false;

        public string LocalFingerprint => "";

        public string PeerFingerprint => peerFingerprint;

        public string SessionCode => "0000 0000 0000";

        public JsonElement PeerHandshakePayload => default;

        public PeerTrust PeerTrust => trust;

        public ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
