using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

public class PassphraseTests
{
    [Fact]
    public async Task Same_passphrase_gives_an_XXhfs_psk3_session_keyed_through_CPace()
    {
        using var a = Passphrase.FromChars("correct horse battery staple");
        using var b = Passphrase.FromChars("correct horse battery staple");
        var (client, server) = await Loopback.PairAsync(
            new SessionOptions { Passphrase = a, KeyLogFile = null },
            new SessionOptions { Passphrase = b, KeyLogFile = null });
        await using (client)
        await using (server)
        {
            Assert.Equal("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256", client.ProtocolName);
            Assert.Equal(client.ProtocolName, server.ProtocolName);
            Assert.Equal(client.SessionCode, server.SessionCode);
            await client.SendTextAsync("psk works");
            Assert.Equal("psk works", (await server.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Passphrase_is_normalised_so_composed_and_decomposed_accents_match()
    {
        using var composed = Passphrase.FromChars("caf\u00e9");
        using var decomposed = Passphrase.FromUtf8("cafe\u0301\n"u8);
        var (client, server) = await Loopback.PairAsync(Loopback.Options(composed), Loopback.Options(decomposed));
        await using (client)
        await using (server)
        {
            await client.SendTextAsync("ok");
            Assert.Equal("ok", (await server.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Wrong_passphrase_fails_on_both_sides_and_the_initiator_never_reports_a_session()
    {
        using var a = Passphrase.FromChars("one passphrase");
        using var b = Passphrase.FromChars("another passphrase");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options(b));

        // The initiator finished its half of the handshake, but waits for the responder to prove
        // the passphrase; the responder's SCERR 5 comes instead, so no session is handed out.
        var clientError = await Assert.ThrowsAsync<AuthenticationFailedException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options(a)).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Equal(AuthenticationFailure.WrongPassphrase, clientError.Reason);
        Assert.Contains("passphrase", clientError.Message, StringComparison.Ordinal);

        var serverError = await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(AuthenticationFailure.WrongPassphrase, serverError.Reason);
    }

    [Fact]
    public async Task Psk_initiator_waits_for_the_responder_to_prove_the_passphrase_before_reporting_the_session()
    {
        using var a = Passphrase.FromChars("shared passphrase");
        using var b = Passphrase.FromChars("shared passphrase");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options(b));

        // A man in the middle lets the handshake through (msg2 is frame 0 from the server) but drops
        // every transport frame of the responder, READY first: the initiator never sees proof of the
        // passphrase, so it hands out no session, and the attempt counts as spent (msg3 was sent).
        await using var proxy = new TamperingProxy(listener.Port(), (_, frame) => [frame], (index, frame) => index == 0 ? [frame] : []);
        SessionOptions options = Loopback.Options(a);
        options = new SessionOptions { Passphrase = a, KeyLogFile = null, HandshakeTimeout = TimeSpan.FromSeconds(1), TestHooks = options.TestHooks };
        var error = await Assert.ThrowsAsync<SessionTimeoutException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, options).AsTask().WaitAsync(Loopback.Timeout));
        Assert.True(error.PassphraseAttemptSpent);

        SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(true, false, AuthenticationFailure.PassphraseNotExpected)]
    [InlineData(false, true, AuthenticationFailure.PassphraseRequired)]
    public async Task Passphrase_mode_mismatch_is_refused_with_the_matching_scerr(bool clientPsk, bool serverPsk, AuthenticationFailure expected)
    {
        using var p = Passphrase.FromChars("pw");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options(serverPsk ? p : null));
        var clientError = await Assert.ThrowsAsync<AuthenticationFailedException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options(clientPsk ? p : null)).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Equal(expected, clientError.Reason);
        var serverError = await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(expected, serverError.Reason);
    }

    [Theory]
    [InlineData(Hello.ModePsk, false, RefusalCode.NoPassphraseExpected)]
    [InlineData(Hello.ModeXX, true, RefusalCode.PassphraseRequired)]
    public async Task Refusal_reason_on_the_wire_states_the_fact_and_advises_no_setting(byte mode, bool serverPsk, RefusalCode expected)
    {
        // The refusal is unauthenticated: its text must not steer the client's settings either way.
        using var p = Passphrase.FromChars("pw");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options(serverPsk ? p : null));
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, listener.Port());
        System.Net.Sockets.NetworkStream stream = client.GetStream();
        byte[] message1 = new byte[100];
        await stream.WriteAsync(Frame.Create(FrameKind.Hello, Hello.Create(mode)).Concat(Frame.Create(FrameKind.Handshake, message1)).ToArray());

        byte[] header = new byte[2];
        await stream.ReadExactlyAsync(header).AsTask().WaitAsync(Loopback.Timeout);
        byte[] body = new byte[(header[0] << 8) | header[1]];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Loopback.Timeout);
        Assert.Equal((byte)FrameKind.Refuse, body[0]);
        (byte code, string reason) = Refuse.Parse(body.AsSpan(1));

        Assert.Equal((byte)expected, code);
        Assert.Contains("passphrase", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("--psk", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("without", reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AuthenticationFailedException>(() => accept.WaitAsync(Loopback.Timeout));
    }

    [Fact]
    public async Task Busy_listener_refuses_with_scerr_4()
    {
        using var listener = Loopback.Listen();
        Task refuse = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await SecureChatSession.RefuseAsync(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), RefusalCode.Busy, "busy");
        });
        var error = await Assert.ThrowsAsync<PeerRefusedException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options()).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Equal(RefusalCode.Busy, error.Code);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        await refuse.WaitAsync(Loopback.Timeout);
    }

    [Fact]
    public void Empty_or_invalid_passphrases_are_refused_with_a_clear_error()
    {
        Assert.Throws<ArgumentException>(() => Passphrase.FromChars(""));
        Assert.Throws<ArgumentException>(() => Passphrase.FromUtf8("\n"u8));
        Assert.Throws<ArgumentException>(() => Passphrase.FromUtf8([0xC3, 0x28]));
    }

    [Fact]
    public void Verbatim_passphrase_keeps_its_bytes_and_may_be_empty()
    {
        byte[] decomposed = System.Text.Encoding.UTF8.GetBytes("cafe\u0301");
        using (var verbatim = Passphrase.FromUtf8Verbatim(decomposed))
        {
            Assert.Equal(decomposed, verbatim.Utf8.ToArray());
        }

        using (var normalised = Passphrase.FromUtf8(decomposed))
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes("caf\u00e9"), normalised.Utf8.ToArray());
        }

        using var empty = Passphrase.FromUtf8Verbatim([]);
        Assert.Equal(0, empty.Utf8.Length);
    }

    [Fact]
    public void UseUtf8_lends_the_normalised_bytes_for_the_call()
    {
        using var passphrase = Passphrase.FromUtf8(System.Text.Encoding.UTF8.GetBytes("cafe\u0301"));
        byte[] seen = [];
        passphrase.UseUtf8(0, (utf8, _) => seen = utf8.ToArray());
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("caf\u00e9"), seen);
    }
}
