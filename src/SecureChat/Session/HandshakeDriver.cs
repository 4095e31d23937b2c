using System.Buffers;
using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;

namespace SecureChat.Session;

/// <summary>
/// Runs the hello and the three Noise messages over a stream (docs/PROTOCOL.md §2–§3), for either
/// role. Message flow: initiator → hello, msg1 (one write); responder → msg2 or SCERR;
/// initiator → msg3; the responder answers a failed passphrase with SCERR 5. In passphrase mode the
/// responder derives the psk only once msg3's encrypted static key has been authenticated, and every
/// derivation waits for a slot of <see cref="PskDerivationLimit"/>. The peer is verified
/// (<see cref="SessionOptions.VerifyPeer"/>) as soon as its static key is authenticated: the
/// initiator after msg2 and before msg3, which carries its own static key, so a rejected responder
/// never learns who connected; the responder after msg3, answering a rejection with the refusal
/// CLOSE (docs/PROTOCOL.md §8).
/// </summary>
internal sealed class HandshakeDriver
{
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly SessionOptions _options;
    private readonly P256KeyPair _staticKey;
    private readonly KeyLog? _keyLog;
    private readonly SecretRegistry? _registry;

    public HandshakeDriver(Stream stream, FrameReader reader, SessionOptions options, P256KeyPair staticKey, KeyLog? keyLog)
    {
        _stream = stream;
        _reader = reader;
        _options = options;
        _staticKey = staticKey;
        _keyLog = keyLog;
        _registry = options.TestHooks?.Registry;
    }

    public async ValueTask<HandshakeResult> RunInitiatorAsync(CancellationToken cancellationToken)
    {
        bool psk = _options.Passphrase is not null;
        P256HandshakePattern pattern = psk ? P256HandshakePattern.XXpsk3 : P256HandshakePattern.XX;
        byte[] hello = Hello.Create(psk ? Hello.PatternXXpsk3 : Hello.PatternXX);
        using P256HandshakeState state = NewState(pattern, initiator: true, hello);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Frame.MaxFrameSize + Frame.HeaderSize + Hello.Length);
        try
        {
            // hello frame and msg1 (-> e) in one write, without waiting (§2).
            Frame.WriteHeader(buffer, Hello.Length);
            hello.CopyTo(buffer.AsSpan(Frame.HeaderSize));
            int offset = Frame.HeaderSize + Hello.Length;
            int msg1 = state.WriteMessage([], buffer.AsSpan(offset + Frame.HeaderSize, Frame.MaxPayloadLength));
            Frame.WriteHeader(buffer.AsSpan(offset), msg1);
            await _stream.WriteAsync(buffer.AsMemory(0, offset + Frame.HeaderSize + msg1), cancellationToken).ConfigureAwait(false);

            // msg2 (<- e, ee, s, es, payload), or a refusal.
            Memory<byte> frame = await ReadHandshakeFrameAsync("the second handshake message", cancellationToken).ConfigureAwait(false);
            if (ErrorFrame.IsErrorFrame(frame.Span))
            {
                throw RefusalToException(frame.Span);
            }

            byte[] payload = new byte[Frame.MaxPayloadLength];
            int payloadLength = state.ReadMessage(frame.Span, payload);
            var peerPayload = HandshakePayload.Decode(payload.AsSpan(0, payloadLength));

            // msg2's payload decrypted under es: the responder holds its static key. Decide now,
            // before msg3 reveals this side's identity; a rejection sends nothing more.
            PeerInfo peer = PeerInfo.From(state.RemoteStaticPublicKey, peerPayload, RemoteEndPoint);
            PeerVerdict verdict = Verify(peer);
            if (!verdict.IsAccepted)
            {
                throw new PeerRejectedException(verdict.Rejection!.Value, byPeer: false, $"The server was rejected before this side's identity was sent: {verdict.Message}", peer);
            }

            if (psk)
            {
                await DerivePskAsync(state, cancellationToken).ConfigureAwait(false);
            }

            // msg3 (-> s, se [, psk], payload).
            int msg3 = state.WriteMessage(HandshakePayload.Encode(_options.HandshakePayload), buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength));
            Frame.WriteHeader(buffer, msg3);
            await _stream.WriteAsync(buffer.AsMemory(0, Frame.HeaderSize + msg3), cancellationToken).ConfigureAwait(false);
            return Finish(state, pattern, peerPayload, peer, verdict);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    public async ValueTask<HandshakeResult> RunResponderAsync(CancellationToken cancellationToken)
    {
        Memory<byte> helloFrame = await ReadHandshakeFrameAsync("the hello", cancellationToken).ConfigureAwait(false);
        if (!Hello.TryParse(helloFrame.Span, out byte version, out byte patternByte))
        {
            await RefuseAsync(RefusalCode.UnsupportedVersion, "not a SecureChat hello: this server speaks SecureChat protocol v1", drainFirst: false, cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException("The peer did not start with a SecureChat hello (is it a SecureChat client?).");
        }

        byte[] hello = helloFrame.ToArray();
        if (version != Hello.Version1 || (patternByte != Hello.PatternXX && patternByte != Hello.PatternXXpsk3))
        {
            await RefuseAsync(RefusalCode.UnsupportedVersion, $"unsupported protocol version {version} or pattern {patternByte}: this server speaks version 1, patterns 1 and 2", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException($"The peer asked for protocol version {version}, pattern {patternByte}, which this side does not speak.");
        }

        bool wantPsk = _options.Passphrase is not null;
        if (wantPsk && patternByte == Hello.PatternXX)
        {
            await RefuseAsync(RefusalCode.PassphraseRequired, "this server requires a passphrase", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.PassphraseRequired, "The peer connected without a passphrase, but this side requires one; it was refused.");
        }

        if (!wantPsk && patternByte == Hello.PatternXXpsk3)
        {
            await RefuseAsync(RefusalCode.NoPassphraseExpected, "this server does not use a passphrase", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.PassphraseNotExpected, "The peer connected with a passphrase, but this side expects none; it was refused.");
        }

        P256HandshakePattern pattern = wantPsk ? P256HandshakePattern.XXpsk3 : P256HandshakePattern.XX;
        using P256HandshakeState state = NewState(pattern, initiator: false, hello);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Frame.MaxFrameSize);
        byte[] payload = new byte[Frame.MaxPayloadLength];
        try
        {
            // msg1 (-> e): its payload is empty by definition.
            Memory<byte> msg1 = await ReadHandshakeFrameAsync("the first handshake message", cancellationToken).ConfigureAwait(false);
            if (state.ReadMessage(msg1.Span, payload) != 0)
            {
                throw new ProtocolViolationException("The first handshake message carries a payload; it must be empty.");
            }

            int msg2 = state.WriteMessage(HandshakePayload.Encode(_options.HandshakePayload), buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength));
            Frame.WriteHeader(buffer, msg2);
            await _stream.WriteAsync(buffer.AsMemory(0, Frame.HeaderSize + msg2), cancellationToken).ConfigureAwait(false);

            Memory<byte> msg3 = await ReadHandshakeFrameAsync("the third handshake message", cancellationToken).ConfigureAwait(false);
            int payloadLength = wantPsk
                ? await ReadPskMessageAsync(state, msg3, payload, cancellationToken).ConfigureAwait(false)
                : state.ReadMessage(msg3.Span, payload);
            var peerPayload = HandshakePayload.Decode(payload.AsSpan(0, payloadLength));
            PeerInfo peer = PeerInfo.From(state.RemoteStaticPublicKey, peerPayload, RemoteEndPoint);
            PeerVerdict verdict = Verify(peer);
            HandshakeResult result = Finish(state, pattern, peerPayload, peer, verdict);
            if (!verdict.IsAccepted)
            {
                await RejectAsync(result, verdict, cancellationToken).ConfigureAwait(false);
                throw new PeerRejectedException(verdict.Rejection!.Value, byPeer: false, $"The peer was rejected after the handshake: {verdict.Message}", peer);
            }

            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Reads XXpsk3's msg3 (-> s, se, psk, payload) and derives the psk only when its token is
    /// reached: Noise §5.3 ReadMessage processes the tokens in order, and the encrypted s is
    /// authenticated (DecryptAndHash under the key from ee and es) before the psk token (§9.2:
    /// MixKeyAndHash(psk)). So a connection costs this side a PBKDF2 derivation only once it has
    /// sent a msg3 whose s decrypts, that is, once it has shown it speaks the protocol; a silent
    /// or garbage connection costs none. SetPsk changes neither h nor ck, so the transcript is the
    /// one of a one-shot ReadMessage.
    /// </summary>
    private async ValueTask<int> ReadPskMessageAsync(P256HandshakeState state, Memory<byte> msg3, byte[] payload, CancellationToken cancellationToken)
    {
        state.ReadMessageUntilPsk(msg3.Span);
        await DerivePskAsync(state, cancellationToken).ConfigureAwait(false);
        try
        {
            return state.ReadMessageAfterPsk(msg3.Span, payload);
        }
        catch (IntegrityException e) when (state.PskMixed)
        {
            // The static key decrypted, so the transcript is intact up to the psk token: the
            // payload failing after MixKeyAndHash(psk) means the passphrases differ.
            await RefuseAsync(RefusalCode.AuthenticationFailed, "authentication failed: the passphrases do not match", drainFirst: false, cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "The peer's passphrase does not match this side's.", e);
        }
    }

    private System.Net.EndPoint? RemoteEndPoint => (_stream as System.Net.Sockets.NetworkStream)?.Socket.RemoteEndPoint;

    private PeerVerdict Verify(PeerInfo peer) =>
        _options.VerifyPeer?.Invoke(peer) ?? PeerVerdict.Accept(peer.IsEphemeral ? PeerTrust.Ephemeral : PeerTrust.New);

    /// <summary>The responder's refusal: the CLOSE of docs/PROTOCOL.md §8 as the first transport message; the keys are erased either way.</summary>
    private async ValueTask RejectAsync(HandshakeResult result, PeerVerdict verdict, CancellationToken cancellationToken)
    {
        try
        {
            await RefusalClose.SendAsync(_stream, result.Send, RefusalClose.Format(verdict.Rejection!.Value, verdict.Message), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            result.Send.Dispose();
            result.Receive.Dispose();
        }
    }

    private ValueTask RefuseAsync(RefusalCode code, string reason, bool drainFirst, CancellationToken cancellationToken) =>
        SendRefusalAsync(_stream, _reader, code, reason, drainFirst, cancellationToken);

    /// <summary>Sends one SCERR frame (after reading the initiator's msg1 so that closing does not reset the connection).</summary>
    public static async ValueTask SendRefusalAsync(Stream stream, FrameReader reader, RefusalCode code, string reason, bool drainFirst, CancellationToken cancellationToken)
    {
        try
        {
            if (drainFirst)
            {
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                drain.CancelAfter(TimeSpan.FromSeconds(1));
                await reader.ReadFrameAsync(drain.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SecureChatException)
        {
            // Best effort: the refusal is sent whether or not msg1 came.
        }

        byte[] frame = ErrorFrame.Create((byte)code, reason);
        byte[] buffer = new byte[Frame.HeaderSize + frame.Length];
        Frame.WriteHeader(buffer, frame.Length);
        frame.CopyTo(buffer, Frame.HeaderSize);
        try
        {
            await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is gone already; nothing to tell it.
        }
    }

    private P256HandshakeState NewState(P256HandshakePattern pattern, bool initiator, ReadOnlySpan<byte> prologue)
    {
        byte[]? fixedScalar = _options.TestHooks?.FixedEphemeralScalar;
        P256KeyPair? ephemeral = fixedScalar is null ? null : P256KeyPair.FromPrivateScalar(fixedScalar);
        return new P256HandshakeState(pattern, initiator, prologue, _staticKey, _registry, _keyLog, ephemeral);
    }

    /// <summary>Derives the psk from both ephemeral keys (docs/PROTOCOL.md §3) within the process-wide <see cref="PskDerivationLimit"/>.</summary>
    private ValueTask DerivePskAsync(P256HandshakeState state, CancellationToken cancellationToken) =>
        PskDerivationLimit.RunAsync(() => DerivePsk(state), cancellationToken);

    private void DerivePsk(P256HandshakeState state)
    {
        ReadOnlySpan<byte> initiatorEphemeral = state.IsInitiator ? state.LocalEphemeralPublicKey : state.RemoteEphemeralPublicKey;
        ReadOnlySpan<byte> responderEphemeral = state.IsInitiator ? state.RemoteEphemeralPublicKey : state.LocalEphemeralPublicKey;
        PskDerivationProbe? probe = _options.TestHooks?.PskDerivations;
        probe?.Enter();
        Span<byte> psk = stackalloc byte[32];
        try
        {
            _options.Passphrase!.DerivePsk(initiatorEphemeral, responderEphemeral, psk, _options.TestHooks?.PbkdfIterations ?? Passphrase.Iterations);
            state.SetPsk(psk);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(psk);
            probe?.Exit();
        }
    }

    private async ValueTask<Memory<byte>> ReadHandshakeFrameAsync(string what, CancellationToken cancellationToken)
    {
        Memory<byte>? frame = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        return frame ?? throw new ConnectionLostException($"The peer closed the connection before {what}.");
    }

    private static HandshakeResult Finish(P256HandshakeState state, P256HandshakePattern pattern, System.Text.Json.JsonElement peerPayload, PeerInfo peer, PeerVerdict verdict)
    {
        (CipherState i2r, CipherState r2i) = state.TakeTransportCiphers();
        return new HandshakeResult(
            Send: state.IsInitiator ? i2r : r2i,
            Receive: state.IsInitiator ? r2i : i2r,
            ProtocolName: pattern.ProtocolName,
            HandshakeHash: state.HandshakeHash.ToArray(),
            PeerStaticPublicKey: state.RemoteStaticPublicKey.ToArray(),
            PeerPayload: peerPayload,
            Peer: peer,
            Verdict: verdict);
    }

    /// <summary>
    /// Maps an SCERR frame to the exception that says what it means to the user. A refusal is sent in
    /// the clear before any key exists (docs/PROTOCOL.md §2): anyone on the path can forge one. The
    /// texts therefore report what the server *says*, and never advise weakening a setting (dropping
    /// --psk would turn a forged refusal into a downgrade).
    /// </summary>
    internal static SecureChatException RefusalToException(ReadOnlySpan<byte> frame)
    {
        (byte code, string reason) = ErrorFrame.Parse(frame);
        return (RefusalCode)code switch
        {
            RefusalCode.PassphraseRequired => new AuthenticationFailedException(AuthenticationFailure.PassphraseRequired, "The server says it requires a passphrase; this refusal is not authenticated."),
            RefusalCode.NoPassphraseExpected => new AuthenticationFailedException(AuthenticationFailure.PassphraseNotExpected, "The server says it does not use a passphrase; this refusal is not authenticated, so it may come from someone on the path rather than the server."),
            RefusalCode.AuthenticationFailed => new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "The server says the passphrases do not match; this refusal is not authenticated."),
            RefusalCode.Busy => new PeerRefusedException(RefusalCode.Busy, "The server says it is busy with another conversation (this refusal is not authenticated): try again later.", reason),
            RefusalCode.UnsupportedVersion => new PeerRefusedException(RefusalCode.UnsupportedVersion, "The server says it does not speak this protocol version (SecureChat v1); this refusal is not authenticated. If both sides really differ, update one of them.", reason),
            _ => new PeerRefusedException((RefusalCode)code, $"The server refused the connection (code {code}); this refusal is not authenticated.", reason),
        };
    }
}
