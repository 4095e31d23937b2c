using System.Text.Json;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Interop;

/// <summary>
/// The C# library against the independent Python implementation (noise_peer.py), both roles, over
/// real loopback sockets, with the protocol's real PBKDF2 cost.
/// </summary>
public class PythonInteropTests
{
    private static async Task<(PythonPeer Peer, SecureChatSession Session)> CSharpConnectsToPythonAsync(string? pythonPassphrase, Passphrase? ours)
    {
        var peer = PythonPeer.Start("responder", passphrase: pythonPassphrase);
        JsonElement listening = await peer.ExpectAsync("listening");
        int port = listening.GetProperty("port").GetInt32();
        try
        {
            var session = await SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, KeyLogFile = null });
            return (peer, session);
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CSharp_initiator_talks_with_python_responder(bool psk)
    {
        using Passphrase? ours = psk ? Passphrase.FromChars("caf\u00e9 au lait") : null;
        var (peer, session) = await CSharpConnectsToPythonAsync(psk ? "cafe\u0301 au lait" : null, ours);
        using (peer)
        {
            JsonElement handshake = await peer.ExpectAsync("handshake");
            Assert.Equal(session.SessionCode, handshake.GetProperty("sas").GetString());
            Assert.Equal(session.LocalFingerprint, handshake.GetProperty("peer_fingerprint").GetString());
            Assert.Equal(session.PeerFingerprint, handshake.GetProperty("fingerprint").GetString());
            Assert.Equal(Convert.ToHexString(session.HandshakeHash).ToLowerInvariant(), handshake.GetProperty("h").GetString());
            Assert.StartsWith("securechat/", handshake.GetProperty("peer_payload").GetProperty("software").GetString());
            Assert.Equal("python-peer/1", session.PeerHandshakePayload.GetProperty("software").GetString());

            await session.SendTextAsync("hello from C# — ünïcödé 🔐");
            await session.SendTextAsync("second");
            Assert.Equal("hello from C# — ünïcödé 🔐", (await peer.ExpectAsync("received")).GetProperty("text").GetString());
            Assert.Equal("second", (await peer.ExpectAsync("received")).GetProperty("text").GetString());

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
        JsonElement handshake = await peer.ExpectAsync("handshake");
        Assert.Equal(session.SessionCode, handshake.GetProperty("sas").GetString());
        Assert.Equal(psk ? "Noise_XXpsk3_P256_AESGCM_SHA256" : "Noise_XX_P256_AESGCM_SHA256", session.ProtocolName);

        for (int i = 0; i < 5; i++)
        {
            await peer.SendAsync($"py {i}");
            await session.SendTextAsync($"cs {i}");
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"py {i}", (await session.NextAsync<TextReceived>()).Text);
            Assert.Equal($"cs {i}", (await peer.ExpectAsync("received")).GetProperty("text").GetString());
        }

        await peer.CloseAsync("python says bye");
        var closed = await session.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Equal("python says bye", closed.Reason);
        Assert.True(session.KeysErased);
        Assert.Equal(0, await peer.ExitCodeAsync());
    }

    [Fact]
    public async Task Python_ping_gets_a_pong_and_a_bad_ping_is_a_protocol_error()
    {
        var (peer, session) = await CSharpConnectsToPythonAsync(null, null);
        using (peer)
        await using (session)
        {
            await peer.ExpectAsync("handshake");
            await peer.SendTypeAsync(0x03, [1, 2, 3, 4, 5, 6, 7, 8]);
            await peer.SendAsync("after ping");
            Assert.Equal("after ping", (await session.NextAsync<TextReceived>()).Text);

            await peer.SendTypeAsync(0x03, [1, 2, 3]);
            var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => session.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            Assert.Contains("PING", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Wrong_passphrase_against_python_fails_on_both_sides()
    {
        using var ours = Passphrase.FromChars("ours");
        var peer = PythonPeer.Start("responder", passphrase: "theirs");
        using (peer)
        {
            int port = (await peer.ExpectAsync("listening")).GetProperty("port").GetInt32();

            // The responder's SCERR 5 arrives before it has proved the passphrase: no session is reported.
            var error = await Assert.ThrowsAsync<AuthenticationFailedException>(
                () => SecureChatSession.ConnectAsync("127.0.0.1", port, new SessionOptions { Passphrase = ours, KeyLogFile = null }).AsTask().WaitAsync(Loopback.Timeout));
            Assert.Equal(AuthenticationFailure.WrongPassphrase, error.Reason);
            JsonElement peerError = await peer.ExpectAsync("error");
            Assert.Equal("auth-failed", peerError.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task Python_initiator_without_passphrase_is_refused_with_scerr_2()
    {
        using var listener = Loopback.Listen();
        using var ours = Passphrase.FromChars("required");
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, new SessionOptions { Passphrase = ours, KeyLogFile = null });
        using var peer = PythonPeer.Start("initiator", listener.Port());
        JsonElement error = await peer.ExpectAsync("error");
        Assert.Equal(2, error.GetProperty("scerr").GetInt32());
        var ex = await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(AuthenticationFailure.PassphraseRequired, ex.Reason);
    }
}
