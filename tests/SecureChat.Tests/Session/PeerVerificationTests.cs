using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Trust;

namespace SecureChat.Tests.Session;

/// <summary>SessionOptions.VerifyPeer: trust decided inside the handshake (docs/PROTOCOL.md §8).</summary>
public sealed class PeerVerificationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("securechat-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SessionOptions Options(IdentityKeyPair identity, PeerVerificationCallback? verify, Passphrase? passphrase = null, JsonObject? payload = null) => new()
    {
        Identity = identity,
        Passphrase = passphrase,
        KeyLogFile = null,
        VerifyPeer = verify,
        HandshakePayload = payload,
    };

    private static PeerAddress Address(int port)
    {
        Assert.True(PeerAddress.TryParse("127.0.0.1", port, out PeerAddress? address, out _));
        return address!;
    }

    [Fact]
    public async Task Initiator_with_a_mismatching_known_peer_sends_REFUSE_7_after_message_2_and_never_sends_message_3()
    {
        using var clientId = IdentityKeyPair.Generate();
        using var serverId = IdentityKeyPair.Generate();
        using var remembered = IdentityKeyPair.Generate();
        using var listener = Loopback.Listen();
        var fromClient = new ConcurrentQueue<(int Index, byte[] Frame)>();
        await using var proxy = new TamperingProxy(listener.Port(), (index, frame) =>
        {
            fromClient.Enqueue((index, frame.ToArray()));
            return [frame];
        });

        string knownPeersPath = Path.Combine(_dir, KnownPeers.FileName);
        KnownPeers.Load(knownPeersPath).Remember(Address(proxy.Port), remembered.Fingerprint);
        var policy = new KnownPeersPolicy(knownPeersPath, Address(proxy.Port), remember: true);

        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(serverId, verify: null));
        var rejected = await Assert.ThrowsAsync<PeerRejectedException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Options(clientId, policy.Verify)).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Equal(PeerRejection.KeyMismatch, rejected.Reason);
        Assert.False(rejected.ByPeer);
        Assert.Equal(serverId.Fingerprint, rejected.Peer!.Fingerprint);
        Assert.Equal(remembered.Fingerprint, policy.Check!.Remembered);

        // The responder got REFUSE 7 where message 3 was due (unauthenticated, so only "the peer
        // says"), and never the initiator's static key.
        var serverError = await Assert.ThrowsAsync<PeerRejectedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(PeerRejection.KeyMismatch, serverError.Reason);
        Assert.True(serverError.ByPeer);
        Assert.Contains("unauthenticated", serverError.Message, StringComparison.Ordinal);
        Assert.Null(serverError.Peer);

        // The hello, message 1, and the REFUSE: no HANDSHAKE frame after message 1.
        (int Index, byte[] Frame)[] frames = [.. fromClient];
        Assert.Equal([0, 1, 2], frames.Select(f => f.Index));
        Assert.Equal((byte)FrameKind.Hello, frames[0].Frame[0]);
        Assert.Equal((byte)FrameKind.Handshake, frames[1].Frame[0]);
        Assert.Equal((byte)FrameKind.Refuse, frames[2].Frame[0]);
        (byte code, _) = Refuse.Parse(frames[2].Frame.AsSpan(1));
        Assert.Equal((byte)RefusalCode.KeyMismatch, code);
        Assert.Equal([$"127.0.0.1:{proxy.Port} x25519 {remembered.Fingerprint}"], File.ReadAllLines(knownPeersPath));
    }

    [Fact]
    public async Task VerifyPeer_is_called_once_on_each_side_with_the_peers_fingerprint_and_payload()
    {
        using var clientId = IdentityKeyPair.Generate();
        using var serverId = IdentityKeyPair.Generate();
        var clientSaw = new ConcurrentQueue<PeerInfo>();
        var serverSaw = new ConcurrentQueue<PeerInfo>();
        var (client, server) = await Loopback.PairAsync(
            Options(clientId, p => { clientSaw.Enqueue(p); return PeerVerdict.Accept(PeerTrust.Known); }),
            Options(serverId, p => { serverSaw.Enqueue(p); return PeerVerdict.Accept(PeerTrust.Unverified); }, payload: new JsonObject { ["software"] = "test/1", ["ephemeral"] = true }));
        await using (client)
        await using (server)
        {
            PeerInfo seenByClient = Assert.Single(clientSaw);
            PeerInfo seenByServer = Assert.Single(serverSaw);
            Assert.Equal(serverId.Fingerprint, seenByClient.Fingerprint);
            Assert.Equal(clientId.Fingerprint, seenByServer.Fingerprint);
            Assert.True(serverId.PublicKey.Span.SequenceEqual(seenByClient.StaticPublicKey.Span));
            Assert.True(seenByClient.IsEphemeral);
            Assert.Equal("test/1", seenByClient.Software);
            Assert.False(seenByServer.IsEphemeral);
            Assert.NotNull(seenByServer.RemoteEndPoint);

            Assert.Same(seenByClient, client.PeerInfo);
            Assert.Equal(PeerTrust.Known, client.PeerTrust);
            Assert.Equal(PeerTrust.Unverified, server.PeerTrust);
        }
    }

    [Fact]
    public async Task Without_a_policy_every_peer_is_accepted_as_new_or_ephemeral()
    {
        using var serverId = IdentityKeyPair.Generate();
        var (client, server) = await Loopback.PairAsync(
            Options(IdentityKeyPair.Generate(), verify: null),
            Options(serverId, verify: null, payload: new JsonObject { ["ephemeral"] = true }));
        await using (client)
        await using (server)
        {
            Assert.Equal(PeerTrust.Ephemeral, client.PeerTrust);
            Assert.Equal(PeerTrust.New, server.PeerTrust);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Responder_that_rejects_sends_REFUSE_6_and_the_initiator_gets_PeerRejectedException_and_no_session(bool psk)
    {
        using var clientId = IdentityKeyPair.Generate();
        using var serverId = IdentityKeyPair.Generate();
        using var friend = IdentityKeyPair.Generate();
        using Passphrase? a = psk ? Passphrase.FromChars("same") : null;
        using Passphrase? b = psk ? Passphrase.FromChars("same") : null;
        string file = Path.Combine(_dir, "authorized");
        File.WriteAllLines(file, [friend.Fingerprint + " a friend"]);
        var policy = new AuthorizedPeersPolicy(AuthorizedPeers.Load(file));

        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(serverId, policy.Verify, b));
        Task<SecureChatSession> connect = SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Options(clientId, verify: null, a)).AsTask();

        var serverError = await Assert.ThrowsAsync<PeerRejectedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(PeerRejection.NotAuthorized, serverError.Reason);
        Assert.False(serverError.ByPeer);
        Assert.Equal(clientId.Fingerprint, serverError.Peer!.Fingerprint);

        // The initiator learns it from REFUSE 6, sent instead of READY: ConnectAsync never hands out a
        // session (in either mode), the refusal is reported as the peer's unauthenticated claim with
        // its reason apart, and in PSK mode the attempt counts as spent (message 3 was sent).
        var clientError = await Assert.ThrowsAsync<PeerRejectedException>(() => connect.WaitAsync(Loopback.Timeout));
        Assert.Equal(PeerRejection.NotAuthorized, clientError.Reason);
        Assert.True(clientError.ByPeer);
        Assert.Contains("says (unauthenticated)", clientError.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(clientError.PeerReason));
        Assert.DoesNotContain(clientError.PeerReason!, clientError.Message, StringComparison.Ordinal);
        Assert.EndsWith(clientError.PeerReason!, serverError.Message, StringComparison.Ordinal);
        Assert.Equal(psk, clientError.PassphraseAttemptSpent);
    }

    [Fact]
    public async Task Authorized_peers_policy_admits_a_listed_fingerprint_as_known()
    {
        using var clientId = IdentityKeyPair.Generate();
        string file = Path.Combine(_dir, "authorized");
        File.WriteAllLines(file, ["# friends", clientId.Fingerprint]);
        var policy = new AuthorizedPeersPolicy(AuthorizedPeers.Load(file));
        var (client, server) = await Loopback.PairAsync(Options(clientId, verify: null), Options(IdentityKeyPair.Generate(), policy.Verify));
        await using (client)
        await using (server)
        {
            Assert.Equal(PeerTrust.Known, server.PeerTrust);
            await client.SendTextAsync("let me in");
            Assert.Equal("let me in", (await server.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Known_peers_policy_remembers_only_on_commit_then_knows_the_key()
    {
        using var serverId = IdentityKeyPair.Generate();
        using var listener = Loopback.Listen();
        string path = Path.Combine(_dir, KnownPeers.FileName);
        PeerAddress address = Address(listener.Port());

        var first = new KnownPeersPolicy(path, address, remember: true);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(serverId, verify: null));
        await using (SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Options(IdentityKeyPair.Generate(), first.Verify)))
        await using (SecureChatSession server = await accept.WaitAsync(Loopback.Timeout))
        {
            Assert.Equal(PeerTrust.New, client.PeerTrust);
            Assert.False(File.Exists(path));
            Assert.True(first.Commit(client));
        }

        var second = new KnownPeersPolicy(path, address, remember: true);
        accept = Loopback.AcceptOneAsync(listener, Options(serverId, verify: null));
        await using (SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Options(IdentityKeyPair.Generate(), second.Verify)))
        await using (SecureChatSession server = await accept.WaitAsync(Loopback.Timeout))
        {
            Assert.Equal(PeerTrust.Known, client.PeerTrust);
            Assert.False(second.Commit(client));
        }
    }
}
