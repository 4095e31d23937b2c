using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>A man in the middle rewrites the client's transport frames; the server must notice every time.</summary>
public class TamperingTests
{
    private const int Second = TamperingProxy.FirstTransportFrame + 1;

    public static TheoryData<string, bool> Attacks
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (string attack in new[] { "replay", "reorder", "drop", "bitflip", "truncate-tag", "refuse-inserted", "kind-changed" })
            {
                data.Add(attack, false);
                data.Add(attack, true);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Tampered_transport_frame_is_rejected_and_session_closes(string attack, bool psk)
    {
        byte[]? held = null;
        IEnumerable<byte[]> Rewrite(int index, byte[] frame)
        {
            switch (attack)
            {
                case "replay" when index == Second:
                    return [frame, frame];
                case "reorder" when index == Second:
                    held = frame;
                    return [];
                case "reorder" when index == Second + 1:
                    return [frame, held!];
                case "drop" when index == Second:
                    return [];
                case "bitflip" when index == Second:
                    frame[frame.Length / 2] ^= 0x01;
                    return [frame];
                case "truncate-tag" when index == Second:
                    return [frame[..^1]];
                case "refuse-inserted" when index == Second:
                    return [Refusal(5), frame];
                case "kind-changed" when index == Second:
                    frame[0] = (byte)SecureChat.Framing.FrameKind.Handshake;
                    return [frame];
                default:
                    return [frame];
            }
        }

        using var pa = SecureChat.Identity.Passphrase.FromChars("transport");
        using var pb = SecureChat.Identity.Passphrase.FromChars("transport");
        using var listener = Loopback.Listen();
        await using var proxy = new TamperingProxy(listener.Port(), Rewrite);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options(psk ? pb : null));
        await using SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options(psk ? pa : null));
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);

        await client.SendTextAsync("first");
        await client.SendTextAsync("second");
        await client.SendTextAsync("third");
        await client.SendTextAsync("fourth");

        Assert.Equal("first", (await server.NextAsync<TextReceived>()).Text);
        if (attack == "replay")
        {
            // The genuine copy is accepted once; the replayed copy is what fails.
            Assert.Equal("second", (await server.NextAsync<TextReceived>()).Text);
        }

        // A REFUSE or a HANDSHAKE frame once the session is established is not allowed there
        // (docs/PROTOCOL.md §1): a protocol error; everything else fails the AEAD.
        bool wrongKind = attack is "refuse-inserted" or "kind-changed";
        Type expected = wrongKind ? typeof(ProtocolViolationException) : typeof(IntegrityException);
        Exception error = await Assert.ThrowsAnyAsync<SecureChatException>(() => server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        Assert.IsType(expected, error);
        if (!wrongKind)
        {
            Assert.Contains("failed authentication", error.Message, StringComparison.Ordinal);
        }

        Assert.True(server.KeysErased);

        // The fault is sticky.
        Assert.IsType(expected, await Assert.ThrowsAnyAsync<SecureChatException>(() => server.ReceiveAsync().AsTask()));
        Assert.IsType(expected, await Assert.ThrowsAnyAsync<SecureChatException>(() => server.SendTextAsync("x").AsTask()));

        if (wrongKind)
        {
            // A protocol error just ends the session (docs/PROTOCOL.md §1): the client sees the
            // connection end without an authenticated goodbye, never a clean close.
            await Assert.ThrowsAsync<ConnectionLostException>(() => client.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            return;
        }

        // The server told the client, with an authenticated CLOSE, why it ended (§4).
        var closed = await client.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Contains("integrity", closed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cut_connection_without_close_is_connection_lost_not_a_clean_end()
    {
        // The proxy forwards the handshake, then swallows everything and hangs up on the server.
        using var listener = Loopback.Listen();
        await using var proxy = new TamperingProxy(listener.Port(), (index, frame) => index >= TamperingProxy.FirstTransportFrame ? [] : [frame]);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options());
        SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options());
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);

        // The client's CLOSE never reaches the server; its connection just ends.
        await client.CloseAsync();
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        Assert.Contains("without an authenticated goodbye", error.Message, StringComparison.Ordinal);
        Assert.True(server.KeysErased);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forged_v1_refusal_in_place_of_READY_is_a_protocol_error_not_a_version_or_passphrase_verdict(bool psk)
    {
        // Server-to-client frame 0 is msg2; frame 1 is READY. v1's "SCERR" answer is only read as
        // "the server speaks v1" where msg2 is due (PROTOCOL.md Appendix A); after msg2 it is a
        // frame of no v2 kind.
        using var pa = SecureChat.Identity.Passphrase.FromChars("pw");
        using var pb = SecureChat.Identity.Passphrase.FromChars("pw");
        byte[] forged = [.. "SCERR"u8, 5, .. "authentication failed"u8];
        await using Outcome outcome = await RunAsync(psk ? pa : null, psk ? pb : null, (_, frame) => [frame], (index, frame) => index == 1 ? [forged] : [frame]);
        Assert.IsType<ProtocolViolationException>(outcome.ClientError);
        Assert.Equal(psk, outcome.ClientError!.PassphraseAttemptSpent);
    }

    [Fact]
    public async Task A_forged_REFUSE_5_in_an_XX_session_is_not_reported_as_a_wrong_passphrase()
    {
        // REFUSE 5 is valid where READY is due, but unauthenticated; in mode 1 there is no
        // passphrase, so it can only claim that message 3 did not open the commitment.
        await using Outcome outcome = await RunAsync(null, null, (_, frame) => [frame], (index, frame) => index == 1 ? [Refusal(5)] : [frame]);
        var error = Assert.IsType<AuthenticationFailedException>(outcome.ClientError);
        Assert.Equal(AuthenticationFailure.CommitmentMismatch, error.Reason);
        Assert.DoesNotContain("passphrases do not match", error.Message, StringComparison.Ordinal);
        Assert.Contains("unauthenticated", error.Message, StringComparison.Ordinal);
        Assert.False(error.PassphraseAttemptSpent);
    }

    /// <summary>
    /// The tamper matrix over every v2 frame (docs/PROTOCOL.md §1, §2.2): each handshake frame
    /// changed, each one replaced by a REFUSE of every kind of code (allowed there or not), a REFUSE
    /// after READY in each direction, and wrong frame kinds. Client→server: 0 HELLO, 1 msg1,
    /// 2 msg3, 3+ transport; server→client: 0 msg2, 1 READY, 2+ transport. Transport frames are
    /// covered by <see cref="Tampered_transport_frame_is_rejected_and_session_closes"/>.
    /// </summary>
    public static TheoryData<string, bool> HandshakeAttacks
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (string attack in Expectations.Keys)
            {
                data.Add(attack, false);
                data.Add(attack, true);
            }

            return data;
        }
    }

    private static readonly Type Lost = typeof(ConnectionLostException);
    private static readonly Type Integrity = typeof(IntegrityException);
    private static readonly Type Protocol = typeof(ProtocolViolationException);
    private static readonly Type Auth = typeof(AuthenticationFailedException);
    private static readonly Type Rejected = typeof(PeerRejectedException);
    private static readonly Type Refused = typeof(PeerRefusedException);

    /// <summary>
    /// What each side must end with. A null error is a session handed out; then the *After type,
    /// when set, is what its next ReceiveAsync throws. Spent: PassphraseAttemptSpent in mode 2
    /// (always false in mode 1): the initiator once it sent msg3, the responder once it sent msg2.
    /// </summary>
    private sealed record Expectation(
        bool Up, int Index, Func<byte[], IEnumerable<byte[]>> Rewrite, Type? Client, Type? Server, bool ClientSpent, bool ServerSpent,
        Type? ClientAfter = null, Type? ServerAfter = null, Func<bool, Exception, bool>? ClientCheck = null);

    private static byte[] Refusal(byte code) => [(byte)SecureChat.Framing.FrameKind.Refuse, code, .. "forged"u8];

    private static byte[] FlipLast(byte[] frame)
    {
        frame[^1] ^= 0x01;
        return frame;
    }

    private static byte[] Flip(byte[] frame, int at)
    {
        frame[at] ^= 0x01;
        return frame;
    }

    private static byte[] Kind(byte[] frame, SecureChat.Framing.FrameKind kind)
    {
        frame[0] = (byte)kind;
        return frame;
    }

    private static readonly Dictionary<string, Expectation> Expectations = new()
    {
        // HELLO: not a SecureChat hello any more: REFUSE 1, and the client reports it without falling back.
        ["hello-magic-flipped"] = new(true, 0, f => [Flip(f, 1)], Refused, Protocol, false, false),
        ["hello-truncated"] = new(true, 0, f => [f[..^1]], Refused, Protocol, false, false),
        ["hello-as-handshake-kind"] = new(true, 0, f => [Kind(f, SecureChat.Framing.FrameKind.Handshake)], Lost, Protocol, false, false),

        // msg1: mode 1 has no key yet, so a changed commitment changes h and msg2 fails at the
        // initiator; in mode 2 msg1's payload is sealed and fails at the responder.
        ["msg1-flipped"] = new(true, 1, f => [FlipLast(f)], null, null, false, false, ClientCheck: null),
        ["msg1-truncated"] = new(true, 1, f => [f[..^1]], null, null, false, false),
        ["msg1-replaced-by-refuse-7"] = new(true, 1, _ => [Refusal(7)], Lost, Protocol, false, false),

        // msg2: every byte after ee is authenticated.
        ["msg2-flipped"] = new(false, 0, f => [FlipLast(f)], Integrity, Lost, false, true),
        ["msg2-truncated"] = new(false, 0, f => [f[..^1]], Integrity, Lost, false, true),
        ["msg2-as-transport-kind"] = new(false, 0, f => [Kind(f, SecureChat.Framing.FrameKind.Transport)], Protocol, Lost, false, true),
        ["msg2-replaced-by-refuse-1"] = new(false, 0, _ => [Refusal(1)], Refused, Lost, false, true),
        ["msg2-replaced-by-refuse-4"] = new(false, 0, _ => [Refusal(4)], Refused, Lost, false, true),
        ["msg2-replaced-by-refuse-5"] = new(false, 0, _ => [Refusal(5)], Protocol, Lost, false, true),
        ["msg2-replaced-by-refuse-6"] = new(false, 0, _ => [Refusal(6)], Protocol, Lost, false, true),
        ["msg2-replaced-by-refuse-7"] = new(false, 0, _ => [Refusal(7)], Protocol, Lost, false, true),
        ["msg2-replaced-by-refuse-0"] = new(false, 0, _ => [Refusal(0)], Protocol, Lost, false, true),
        ["msg2-replaced-by-refuse-8"] = new(false, 0, _ => [Refusal(8)], Protocol, Lost, false, true),

        // msg3: the static key (before the psk) fails as tampering; the payload, the first thing
        // under the psk in mode 2, fails as "authentication failed" (REFUSE 5) — the responder
        // cannot tell a change on the way from a wrong passphrase.
        ["msg3-static-flipped"] = new(true, 2, f => [Flip(f, 5)], Lost, Integrity, true, true),
        ["msg3-payload-flipped"] = new(true, 2, f => [FlipLast(f)], null, null, true, true),
        ["msg3-truncated"] = new(true, 2, f => [f[..^1]], null, null, true, true),
        ["msg3-replaced-by-refuse-7"] = new(true, 2, _ => [Refusal(7)], Lost, Rejected, true, true),
        ["msg3-replaced-by-refuse-5"] = new(true, 2, _ => [Refusal(5)], Lost, Protocol, true, true),
        ["msg3-replaced-by-refuse-4"] = new(true, 2, _ => [Refusal(4)], Lost, Protocol, true, true),
        ["msg3-as-transport-kind"] = new(true, 2, f => [Kind(f, SecureChat.Framing.FrameKind.Transport)], Lost, Protocol, true, true),

        // READY: the initiator reports nothing until it decrypts; REFUSE 5/6 are the only refusals
        // allowed here, 1-4 and 7 are protocol errors; the attempt is spent either way.
        ["ready-flipped"] = new(false, 1, f => [FlipLast(f)], Integrity, null, true, true, ServerAfter: Lost),
        ["ready-truncated"] = new(false, 1, f => [f[..^1]], Integrity, null, true, true, ServerAfter: Lost),
        ["ready-as-handshake-kind"] = new(false, 1, f => [Kind(f, SecureChat.Framing.FrameKind.Handshake)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-1"] = new(false, 1, _ => [Refusal(1)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-2"] = new(false, 1, _ => [Refusal(2)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-3"] = new(false, 1, _ => [Refusal(3)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-4"] = new(false, 1, _ => [Refusal(4)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-5"] = new(false, 1, _ => [Refusal(5)], Auth, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-6"] = new(false, 1, _ => [Refusal(6)], Rejected, null, true, true, ServerAfter: Lost),
        ["ready-replaced-by-refuse-7"] = new(false, 1, _ => [Refusal(7)], Protocol, null, true, true, ServerAfter: Lost),
        ["ready-replayed"] = new(false, 1, f => [f, f], null, null, true, true, ClientAfter: Integrity),

        // After READY (initiator) / after msg3 was accepted (responder) any REFUSE is a protocol error.
        ["refuse-5-after-ready"] = new(false, 1, f => [f, Refusal(5)], null, null, true, true, ClientAfter: Protocol),
        ["refuse-6-after-ready"] = new(false, 1, f => [f, Refusal(6)], null, null, true, true, ClientAfter: Protocol),
        ["refuse-7-after-msg3"] = new(true, 2, f => [f, Refusal(7)], null, null, true, true, ServerAfter: Protocol),
        ["hello-after-msg3"] = new(true, 2, f => [f, [(byte)SecureChat.Framing.FrameKind.Hello, .. SecureChat.Framing.Hello.Create(SecureChat.Framing.Hello.ModeXX)]], null, null, true, true, ServerAfter: Protocol),
    };

    [Theory]
    [MemberData(nameof(HandshakeAttacks))]
    public async Task Every_handshake_frame_tampered_or_refused_ends_the_handshake_as_the_spec_says(string attack, bool psk)
    {
        Expectation expect = Expectations[attack];
        using var pa = SecureChat.Identity.Passphrase.FromChars("tamper matrix");
        using var pb = SecureChat.Identity.Passphrase.FromChars("tamper matrix");
        IEnumerable<byte[]> Rewrite(int index, byte[] frame) => index == expect.Index ? expect.Rewrite(frame) : [frame];
        Outcome outcome = expect.Up
            ? await RunAsync(psk ? pa : null, psk ? pb : null, Rewrite, (_, f) => [f])
            : await RunAsync(psk ? pa : null, psk ? pb : null, (_, f) => [f], Rewrite);
        await using Outcome disposing = outcome;

        (Type? client, Type? server) = (expect.Client, expect.Server);
        if (attack is "msg1-flipped" or "msg1-truncated")
        {
            // Mode 1: msg1 is plaintext to the responder (it reads on); mode 2: it is sealed under
            // a key from public values only, so a failure is a malformed message (§3.5: protocol error).
            (client, server) = psk ? (Lost, Protocol) : (Integrity, Lost);
            if (attack == "msg1-truncated" && !psk)
            {
                // One byte short: the commitment is 31 bytes, a wrong length.
                (client, server) = (Lost, Protocol);
            }
        }

        if (attack is "msg3-payload-flipped" or "msg3-truncated")
        {
            // The static key decrypted, the payload did not: the responder says REFUSE 5 in both
            // modes (docs/PROTOCOL.md §3.5). In mode 2 the payload is the first thing under the psk
            // (the passphrases differ); in mode 1 it was changed on the way (integrity), and the
            // initiator is told so as the peer's unauthenticated claim.
            (client, server) = psk ? (Auth, Auth) : (Auth, Integrity);
        }

        AssertSide("client", client, outcome.ClientError, outcome.Client);
        AssertSide("server", server, outcome.ServerError, outcome.Server);
        if (outcome.ClientError is not null)
        {
            Assert.Equal(psk && expect.ClientSpent, outcome.ClientError.PassphraseAttemptSpent);
        }

        if (outcome.ServerError is not null)
        {
            Assert.Equal(psk && expect.ServerSpent, outcome.ServerError.PassphraseAttemptSpent);
        }

        if (attack == "ready-replaced-by-refuse-5")
        {
            var error = Assert.IsType<AuthenticationFailedException>(outcome.ClientError);
            Assert.Equal(psk ? AuthenticationFailure.WrongPassphrase : AuthenticationFailure.CommitmentMismatch, error.Reason);
        }

        if (expect.ClientAfter is not null)
        {
            Assert.NotNull(outcome.Client);
            Exception after = await Assert.ThrowsAnyAsync<SecureChatException>(() => outcome.Client!.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            Assert.IsType(expect.ClientAfter, after);
        }

        if (expect.ServerAfter is not null)
        {
            Assert.NotNull(outcome.Server);
            Exception after = await Assert.ThrowsAnyAsync<SecureChatException>(() => outcome.Server!.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            Assert.IsType(expect.ServerAfter, after);
        }
    }

    private static void AssertSide(string side, Type? expected, SecureChatException? error, SecureChatSession? session)
    {
        if (expected is null)
        {
            Assert.True(error is null, $"{side}: expected a session, got {error?.GetType().Name}: {error?.Message}");
            Assert.NotNull(session);
        }
        else
        {
            Assert.True(error is not null && error.GetType() == expected, $"{side}: expected {expected.Name}, got {(error is null ? "a session" : error.GetType().Name + ": " + error.Message)}");
            Assert.Null(session);
        }
    }

    /// <summary>
    /// Both sides' results. It owns the proxy: a rewrite can forward a frame right after the last
    /// handshake frame (a REFUSE or HELLO after READY or msg3, a replayed READY) in a write of its
    /// own, which may still be on its way when both handshakes have finished; the proxy must keep
    /// forwarding until the test has seen what the sessions do with it. Stopping the proxy as soon
    /// as the handshakes end would cancel that write and hang up instead, and the session would
    /// (rightly) report a lost connection, not the frame.
    /// </summary>
    private sealed class Outcome : IAsyncDisposable
    {
        public SecureChatSession? Client { get; init; }

        public SecureChatException? ClientError { get; init; }

        public SecureChatSession? Server { get; init; }

        public SecureChatException? ServerError { get; init; }

        public required TamperingProxy Proxy { get; init; }

        public async ValueTask DisposeAsync()
        {
            if (Client is not null)
            {
                await Client.DisposeAsync();
            }

            if (Server is not null)
            {
                await Server.DisposeAsync();
            }

            await Proxy.DisposeAsync();
        }
    }

    private static async Task<Outcome> RunAsync(
        SecureChat.Identity.Passphrase? clientPassphrase,
        SecureChat.Identity.Passphrase? serverPassphrase,
        Func<int, byte[], IEnumerable<byte[]>> up,
        Func<int, byte[], IEnumerable<byte[]>> down)
    {
        using var listener = Loopback.Listen();
        var proxy = new TamperingProxy(listener.Port(), up, down);
        try
        {
            SessionOptions Options(SecureChat.Identity.Passphrase? passphrase) =>
                new() { Passphrase = passphrase, KeyLogFile = null, HandshakeTimeout = TimeSpan.FromSeconds(2) };
            Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(serverPassphrase));
            Task<SecureChatSession> connect = SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Options(clientPassphrase)).AsTask();
            (SecureChatSession? client, SecureChatException? clientError) = await Settle(connect);
            (SecureChatSession? server, SecureChatException? serverError) = await Settle(accept);

            // The proxy goes with the outcome (see Outcome): it still forwards what follows the handshake.
            return new Outcome { Client = client, ClientError = clientError, Server = server, ServerError = serverError, Proxy = proxy };
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    private static async Task<(SecureChatSession?, SecureChatException?)> Settle(Task<SecureChatSession> task)
    {
        try
        {
            return (await task.WaitAsync(Loopback.Timeout), null);
        }
        catch (SecureChatException e)
        {
            return (null, e);
        }
    }
}
