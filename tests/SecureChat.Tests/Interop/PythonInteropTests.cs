using System.Text.Json;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Interop;

/// <summary>
/// The C# library against the independent Python implementation of protocol v2 (v2_peer.py), both
/// roles and both modes, over real loopback sockets; and against a Python peer that misbehaves on
/// purpose (a guessing responder that answers "busy" after message 3, a wrong commitment).
/// </summary>
public class PythonInteropTests
{
    private static async Task<(PythonPeer Peer, int Port)> StartResponderAsync(string? passphrase, params string[] extra)
    {
        var peer = PythonPeer.Start("responder", passphrase: passphrase, extra: extra);
        JsonElement listening = await peer.ExpectAsync("listening");
        return (peer, listening.GetProperty("port").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CSharp_initiator_talks_with_python_responder(bool psk)
    {
        using Passphrase? ours = psk ? Passphrase.FromChars("caf\u00e9 au lait") : null;
        (PythonPeer peer, int port) = await StartResponderAsync(psk ? "cafe\u0301 au lait" : null);
        using (peer)
        {
            await using SecureChatSession session = await SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, KeyLogFile = null });
            JsonElement established = await peer.ExpectAsync("established");
            Assert.Equal(session.SessionCode, established.GetProperty("sas").GetString());
            Assert.Equal(session.LocalFingerprint, established.GetProperty("peer_fingerprint").GetString());
            Assert.Equal(session.PeerFingerprint, established.GetProperty("fingerprint").GetString());
            Assert.Equal(Convert.ToHexStringLower(session.HandshakeHash), established.GetProperty("handshake_hash").GetString());
            Assert.Equal(session.ProtocolName, established.GetProperty("protocol").GetString());
            Assert.Equal(psk ? "Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256" : "Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256", session.ProtocolName);
            Assert.StartsWith("securechat/", established.GetProperty("peer_payload").GetProperty("software").GetString());
            Assert.Equal("v2_peer.py", session.PeerHandshakePayload.GetProperty("software").GetString());

            await session.SendTextAsync("hello from C# — ünïcödé 🔐");
            await session.SendTextAsync("second");
            Assert.Equal("hello from C# — ünïcödé 🔐", (await peer.ExpectAsync("text")).GetProperty("text").GetString());
            Assert.Equal("second", (await peer.ExpectAsync("text")).GetProperty("text").GetString());

            await peer.SendAsync("hello from Python ✓");
            await peer.SendTypeAsync(0x7F, [1, 2, 3]); // unknown type: ignored after authentication
            await peer.SendAsync("after the unknown type");
            Assert.Equal("hello from Python ✓", (await session.NextAsync<TextReceived>()).Text);
            Assert.Equal("after the unknown type", (await session.NextAsync<TextReceived>()).Text);

            await session.CloseAsync("bye");
            JsonElement closed = await peer.ExpectAsync("closed");
            Assert.Equal("bye", closed.GetProperty("reason").GetString());
            Assert.Equal(0, await peer.ExitCodeAsync());
            Assert.True(session.KeysErased);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Python_initiator_talks_with_csharp_responder(bool psk)
    {
        using var listener = Loopback.Listen();
        using Passphrase? ours = psk ? Passphrase.FromChars("shared secret") : null;
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, new SessionOptions { Passphrase = ours, KeyLogFile = null });
        using var peer = PythonPeer.Start("initiator", listener.Port(), psk ? "shared secret" : null);
        await using SecureChatSession session = await accept.WaitAsync(Loopback.Timeout);
        JsonElement established = await peer.ExpectAsync("established");
        Assert.Equal(session.SessionCode, established.GetProperty("sas").GetString());
        Assert.Equal(Convert.ToHexStringLower(session.HandshakeHash), established.GetProperty("handshake_hash").GetString());

        for (int i = 0; i < 5; i++)
        {
            await peer.SendAsync($"py {i}");
            await session.SendTextAsync($"cs {i}");
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"py {i}", (await session.NextAsync<TextReceived>()).Text);
            Assert.Equal($"cs {i}", (await peer.ExpectAsync("text")).GetProperty("text").GetString());
        }

        await peer.CloseAsync("python says bye");
        var closed = await session.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Equal("python says bye", closed.Reason);
        Assert.True(session.KeysErased);
        Assert.Equal(0, await peer.ExitCodeAsync());
    }

    [Fact]
    public async Task Python_relayed_channel_must_match()
    {
        using var ours = Passphrase.FromChars("17-bluebird-caravan");
        (PythonPeer peer, int port) = await StartResponderAsync("17-bluebird-caravan", "--channel", "17");
        using (peer)
        {
            await using SecureChatSession session = await SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, PakeChannel = "17", KeyLogFile = null });
            Assert.Equal(session.SessionCode, (await peer.ExpectAsync("established")).GetProperty("sas").GetString());
        }

        (peer, port) = await StartResponderAsync("17-bluebird-caravan", "--channel", "18");
        using (peer)
        {
            var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() =>
                SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, PakeChannel = "17", KeyLogFile = null }).AsTask().WaitAsync(Loopback.Timeout));
            Assert.Equal(AuthenticationFailure.WrongPassphrase, error.Reason);
        }
    }

    [Fact]
    public async Task Python_ping_gets_a_pong_and_a_bad_ping_is_a_protocol_error()
    {
        (PythonPeer peer, int port) = await StartResponderAsync(null);
        using (peer)
        {
            await using SecureChatSession session = await SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { KeyLogFile = null });
            await peer.ExpectAsync("established");
            await peer.SendTypeAsync(0x03, [1, 2, 3, 4, 5, 6, 7, 8]);
            await peer.SendAsync("after ping");
            Assert.Equal("after ping", (await session.NextAsync<TextReceived>()).Text);

            await peer.SendTypeAsync(0x03, [1, 2, 3]);
            var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => session.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            Assert.Contains("PING", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Wrong_passphrase_against_python_fails_on_both_sides_and_spends_the_attempt()
    {
        using var ours = Passphrase.FromChars("ours");
        (PythonPeer peer, int port) = await StartResponderAsync("theirs");
        using (peer)
        {
            // The responder's REFUSE 5 arrives instead of READY: no session is reported.
            var error = await Assert.ThrowsAsync<AuthenticationFailedException>(
                () => SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, KeyLogFile = null }).AsTask().WaitAsync(Loopback.Timeout));
            Assert.Equal(AuthenticationFailure.WrongPassphrase, error.Reason);
            Assert.True(error.PassphraseAttemptSpent);
            JsonElement refused = await peer.ExpectAsync("refused");
            Assert.Equal(5, refused.GetProperty("code").GetInt32());
        }
    }

    [Fact]
    public async Task A_guessing_responder_that_says_busy_after_message_3_gets_no_second_attempt()
    {
        // A man in the middle, or a malicious relay, answers as the responder with a guess of the
        // passphrase, reads message 3 (one online test of his guess), then claims to be busy so
        // that the client might try again and give him a second guess. It must not.
        using var ours = Passphrase.FromChars("the real passphrase");
        (PythonPeer peer, int port) = await StartResponderAsync("a guess", "--refuse-after-msg3", "4");
        using (peer)
        {
            var error = await Assert.ThrowsAnyAsync<SecureChatException>(
                () => SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, KeyLogFile = null }).AsTask().WaitAsync(Loopback.Timeout));
            Assert.True(error.PassphraseAttemptSpent, $"the attempt was not reported as used up: {error.GetType().Name}: {error.Message}");
            Assert.IsType<ProtocolViolationException>(error); // "busy" is only valid before message 2
            await peer.ExitCodeAsync();
        }

        // The peer served exactly one connection and exited: a retry would have found nobody, and
        // the library has no retry path at all (ConnectAsync returns or throws once).
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() =>
            new System.Net.Sockets.TcpClient().ConnectAsync("127.0.0.1", port).WaitAsync(Loopback.Timeout));
    }

    [Fact]
    public async Task A_python_initiator_whose_nonce_does_not_open_its_commitment_is_refused_with_code_5()
    {
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, new SessionOptions { KeyLogFile = null });
        using var peer = PythonPeer.Start("initiator", listener.Port(), extra: "--wrong-commit");
        var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(AuthenticationFailure.CommitmentMismatch, error.Reason);
        JsonElement refused = await peer.ExpectAsync("refused");
        Assert.Equal(5, refused.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Python_initiator_without_passphrase_is_refused_with_code_2()
    {
        using var listener = Loopback.Listen();
        using var ours = Passphrase.FromChars("required");
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, new SessionOptions { Passphrase = ours, KeyLogFile = null });
        using var peer = PythonPeer.Start("initiator", listener.Port());
        JsonElement refused = await peer.ExpectAsync("refused");
        Assert.Equal(2, refused.GetProperty("code").GetInt32());
        var ex = await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(AuthenticationFailure.PassphraseRequired, ex.Reason);
    }

    [Fact]
    public async Task A_python_v1_hello_gets_the_v1_version_refusal()
    {
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, new SessionOptions { KeyLogFile = null });
        using var peer = PythonPeer.Start("initiator", listener.Port(), extra: "--send-v1-hello");
        JsonElement reply = await peer.ExpectAsync("v1-reply");
        Assert.Equal(1, reply.GetProperty("scerr_code").GetInt32());
        await Assert.ThrowsAsync<ProtocolViolationException>(() => accept.WaitAsync(Loopback.Timeout));
    }
}
