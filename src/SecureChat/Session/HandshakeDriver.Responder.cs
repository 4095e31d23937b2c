using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Noise;
using SecureChat.Pake;

namespace SecureChat.Session;

/// <summary>The responder's side of the v2 handshake (docs/PROTOCOL.md §2–§6).</summary>
internal sealed partial class HandshakeDriver
{
    public async ValueTask<HandshakeResult> RunResponderAsync(CancellationToken cancellationToken)
    {
        byte[] hello = await ReadHelloAsync(cancellationToken).ConfigureAwait(false);
        using HandshakeState state = NewState(initiator: false, hello);
        using var buffers = new HandshakeBuffers();
        byte[] buffer = buffers.Message;
        byte[] payload = buffers.Payload;

        // msg1 (-> e, f): payload = [sid ‖ Ya ‖] commit, exactly.
        ReceivedFrame frame = await ReadFrameAsync("the first handshake message", cancellationToken).ConfigureAwait(false);
        ExpectKind(frame, FrameKind.Handshake, "message 1");
        int msg1Length;
        try
        {
            msg1Length = state.ReadMessage(frame.Payload.Span, buffers.PayloadFor(frame.Payload.Length));
        }
        catch (IntegrityException e)
        {
            // In mode 2 message 1 is sealed under a key from public values only: a failure is
            // a malformed message, not a secret that did not match (docs/PROTOCOL.md §3.5).
            throw new ProtocolViolationException("Message 1 did not decrypt.", e);
        }

        int expected = (IsPsk ? CPaceMessages.SidLength + CPaceMessages.PointLength : 0) + SasCommitment.Length;
        if (msg1Length != expected)
        {
            throw new ProtocolViolationException($"Message 1's payload is {msg1Length} bytes; this mode needs exactly {expected}.");
        }

        byte[] commitment = payload.AsSpan(msg1Length - SasCommitment.Length, SasCommitment.Length).ToArray();
        byte[] yb = [];
        if (IsPsk)
        {
            yb = new byte[CPaceMessages.PointLength];
            Span<byte> psk = stackalloc byte[32];
            try
            {
                ReadOnlySpan<byte> sid = payload.AsSpan(0, CPaceMessages.SidLength);
                ReadOnlySpan<byte> ya = payload.AsSpan(CPaceMessages.SidLength, CPaceMessages.PointLength);
                CPaceResponder.Respond(_options.Passphrase!.Utf8, Channel, sid, ya, yb, psk, _registry);
                state.SetPsk(psk);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(psk);
            }
        }

        // A peer that sent HELLO and message 1 and hung up at once (a replayed message 1, say)
        // gets no work and no message 2, and is not counted as a passphrase attempt.
        if (_stream is System.Net.Sockets.NetworkStream { Socket: { } socket } && socket.Poll(0, System.Net.Sockets.SelectMode.SelectRead) && socket.Available == 0)
        {
            throw new ConnectionLostException("The peer closed the connection before message 2.");
        }

        // msg2 (<- e, f, ee, ff, s, es): payload = [Yb ‖] n_r ‖ JSON.
        byte[] nonce = RandomNumberGenerator.GetBytes(SasCommitment.NonceLength);
        buffers.MessageWriting();
        int tokens = state.WriteTokens(buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength));
        byte[] msg2Payload = [.. yb, .. nonce, .. OwnPayload(state.CurrentHash)];
        int msg2 = state.WritePayload(msg2Payload, buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength), tokens);
        Frame.WriteHeader(buffer, FrameKind.Handshake, msg2);
        buffers.MessageWritten(Frame.HeaderSize + msg2);
        await _stream.WriteAsync(buffer.AsMemory(0, Frame.HeaderSize + msg2), cancellationToken).ConfigureAwait(false);

        // From here a failure counts as a spent attempt (docs/PROTOCOL.md §8): a wrong
        // passphrase, and also a peer that drops the handshake after message 2 (a probe).
        AttemptSpent = IsPsk;

        // msg3 (-> s, se [, psk]): payload = n_i ‖ JSON; or REFUSE 7 (the initiator rejected us).
        frame = await ReadFrameAsync("the third handshake message", cancellationToken).ConfigureAwait(false);
        if (frame.Kind == FrameKind.Refuse)
        {
            (byte code, string reason) = Refuse.Parse(frame.Payload.Span);
            if (code != (byte)RefusalCode.KeyMismatch)
            {
                throw new ProtocolViolationException($"The peer sent REFUSE code {code} instead of message 3, where only code 7 is valid.");
            }

            throw new PeerRejectedException(PeerRejection.KeyMismatch, byPeer: true, "The peer says (unauthenticated) it remembers a different key for this side, and stopped before identifying itself.", peerReason: reason);
        }

        ExpectKind(frame, FrameKind.Handshake, "message 3");
        int msg3Length;
        try
        {
            msg3Length = state.ReadMessage(frame.Payload.Span, buffers.PayloadFor(frame.Payload.Length));
        }
        catch (IntegrityException e) when (!state.RemoteStaticPublicKey.IsEmpty)
        {
            // The static key decrypted under the keys from ee and es; the payload did not
            // (docs/PROTOCOL.md §3.5). In PSK mode the payload is the first thing under the
            // psk, so the passphrases or codes differ (Noise §9.2); in XX mode it was tampered with.
            await RefuseAsync(RefusalCode.AuthenticationFailed, "authentication failed", cancellationToken).ConfigureAwait(false);
            if (state.PskMixed)
            {
                throw new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "Authentication failed: the peer's passphrase or code does not match this side's, or the handshake was changed on the way.", e);
            }

            throw;
        }

        if (msg3Length < SasCommitment.NonceLength + 2)
        {
            throw new ProtocolViolationException($"Message 3's payload is {msg3Length} bytes; it must hold a 16-byte nonce and a JSON object.");
        }

        // Order of docs/PROTOCOL.md §3.5: payload length and JSON (protocol errors), then the commitment.
        JsonElement peerPayload = HandshakePayload.Decode(payload.AsSpan(SasCommitment.NonceLength, msg3Length - SasCommitment.NonceLength));
        ReadOnlySpan<byte> initiatorNonce = payload.AsSpan(0, SasCommitment.NonceLength);
        if (!SasCommitment.Matches(commitment, initiatorNonce))
        {
            await RefuseAsync(RefusalCode.AuthenticationFailed, "authentication failed", cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.CommitmentMismatch, "The peer's message 3 does not open the commitment of its message 1: someone on the path tampered with the handshake.");
        }

        if (IsReflection(state.RemoteStaticPublicKey))
        {
            await RefuseAsync(RefusalCode.NotAuthorized, "reflected static key", cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException("The peer presented this side's own static key (a reflection of this side's messages).");
        }

        string sessionCode = SessionCode.Compute(state.RemoteEphemeralPublicKey, state.LocalEphemeralPublicKey, initiatorNonce, nonce);
        PeerInfo peer = PeerInfo.From(state.RemoteStaticPublicKey, peerPayload, RemoteEndPoint, VerifiedVersion1Fingerprint(peerPayload, state.PayloadHash, state.RemoteStaticPublicKey));
        PeerVerdict verdict = Verify(peer);
        if (!verdict.IsAccepted)
        {
            await RefuseAsync(RefusalCode.NotAuthorized, verdict.Message, cancellationToken).ConfigureAwait(false);
            throw new PeerRejectedException(verdict.Rejection!.Value, byPeer: false, $"The peer was rejected after the handshake: {verdict.Message}", peer);
        }

        return await ConfirmAsync(Finish(state, peerPayload, peer, verdict, sessionCode), result => SendReadyAsync(result.Send, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads and checks the HELLO (docs/PROTOCOL.md §2): a v1 client gets v1's SCERR 1; another
    /// version or an unknown mode REFUSE 1; a mode that does not match this side's REFUSE 2 or 3.
    /// Returns the 7 payload bytes, the Noise prologue.
    /// </summary>
    private async ValueTask<byte[]> ReadHelloAsync(CancellationToken cancellationToken)
    {
        Memory<byte>? body = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ConnectionLostException("The peer closed the connection before the hello.");
        if (Hello.IsVersion1(body.Value.Span))
        {
            await AnswerVersion1Async(cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException("A SecureChat protocol v1 client connected; it was told that this side speaks v2 and that it needs an update.");
        }

        ReceivedFrame frame = ReceivedFrame.Of(body.Value);
        if (frame.Kind != FrameKind.Hello)
        {
            // Not SecureChat at all: closed without an answer (docs/PROTOCOL.md §2.3).
            throw new ProtocolViolationException("The peer did not start with a SecureChat hello (is it a SecureChat client?).");
        }

        if (!Hello.TryParse(frame.Payload.Span, out byte version, out byte mode))
        {
            await RefuseAsync(RefusalCode.UnsupportedVersion, "not a SecureChat hello: this side speaks SecureChat protocol v2", cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException("The peer did not start with a SecureChat hello (is it a SecureChat client?).");
        }

        if (version != Hello.Version2 || mode is not (Hello.ModeXX or Hello.ModePsk))
        {
            await SendRefusalAsync(_stream, _reader, RefusalCode.UnsupportedVersion, $"unsupported version {version} or mode {mode}: this side speaks version 2, modes 1 and 2", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new ProtocolViolationException($"The peer asked for protocol version {version}, mode {mode}, which this side does not speak.");
        }

        if (IsPsk && mode == Hello.ModeXX)
        {
            await SendRefusalAsync(_stream, _reader, RefusalCode.PassphraseRequired, "this side requires a passphrase", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.PassphraseRequired, "The peer connected without a passphrase, but this side requires one; it was refused.");
        }

        if (!IsPsk && mode == Hello.ModePsk)
        {
            await SendRefusalAsync(_stream, _reader, RefusalCode.NoPassphraseExpected, "this side does not use a passphrase", drainFirst: true, cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException(AuthenticationFailure.PassphraseNotExpected, "The peer connected with a passphrase, but this side expects none; it was refused.");
        }

        return frame.Payload.ToArray();
    }

    /// <summary>Sends READY, the responder's first transport message (type 0x05, empty body), then Rekey() as after every message.</summary>
    private async ValueTask SendReadyAsync(CipherState send, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[Frame.HeaderSize + 1 + TransportLimits.TagSize];
        frame[Frame.HeaderSize] = (byte)MessageType.Ready;
        Span<byte> message = frame.AsSpan(Frame.HeaderSize);
        int length = send.EncryptWithAd([], message[..1], message);
        send.Rekey();
        Frame.WriteHeader(frame, FrameKind.Transport, length);
        await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }
}
