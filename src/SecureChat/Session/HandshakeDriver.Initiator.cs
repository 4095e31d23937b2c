using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Noise;
using SecureChat.Pake;

namespace SecureChat.Session;

/// <summary>The initiator's side of the v2 handshake (docs/PROTOCOL.md §3).</summary>
internal sealed partial class HandshakeDriver
{
    public async ValueTask<HandshakeResult> RunInitiatorAsync(CancellationToken cancellationToken)
    {
        byte[] hello = Hello.Create(IsPsk ? Hello.ModePsk : Hello.ModeXX);
        using HandshakeState state = NewState(initiator: true, hello);
        byte[] nonce = RandomNumberGenerator.GetBytes(SasCommitment.NonceLength);
        using var buffers = new HandshakeBuffers();
        byte[] buffer = buffers.Message;
        CPaceInitiator? cpace = null;
        try
        {
            // msg1 (-> e, f): payload = [sid ‖ Ya ‖] commit. Sent with the HELLO in one write.
            byte[] sid = RandomNumberGenerator.GetBytes(CPaceMessages.SidLength);
            if (IsPsk)
            {
                cpace = new CPaceInitiator(_options.Passphrase!.Utf8, Channel, sid, _registry);
            }

            byte[] msg1Payload = new byte[(IsPsk ? CPaceMessages.SidLength + CPaceMessages.PointLength : 0) + SasCommitment.Length];
            if (cpace is not null)
            {
                sid.CopyTo(msg1Payload, 0);
                cpace.Ya.CopyTo(msg1Payload.AsSpan(CPaceMessages.SidLength));
            }

            SasCommitment.Compute(nonce, msg1Payload.AsSpan(msg1Payload.Length - SasCommitment.Length));
            buffers.MessageWriting();
            Frame.WriteHeader(buffer, FrameKind.Hello, hello.Length);
            hello.CopyTo(buffer.AsSpan(Frame.HeaderSize));
            int offset = Frame.HeaderSize + hello.Length;
            int msg1 = state.WriteMessage(msg1Payload, buffer.AsSpan(offset + Frame.HeaderSize, Frame.MaxPayloadLength));
            buffers.MessageWritten(offset + Frame.HeaderSize + msg1);
            Frame.WriteHeader(buffer.AsSpan(offset), FrameKind.Handshake, msg1);
            await _stream.WriteAsync(buffer.AsMemory(0, offset + Frame.HeaderSize + msg1), cancellationToken).ConfigureAwait(false);

            // msg2 (<- e, f, ee, ff, s, es), or a REFUSE with code 1-4.
            ReceivedFrame frame = await ReadFrameAsync("the second handshake message", cancellationToken, version1RefusalAllowed: true).ConfigureAwait(false);
            if (frame.Kind == FrameKind.Refuse)
            {
                (byte code, string reason) = Refuse.Parse(frame.Payload.Span);
                if (code is < 1 or > 4)
                {
                    throw new ProtocolViolationException($"The peer sent REFUSE code {code} before message 2, where only codes 1-4 are valid.");
                }

                throw RefusalToException(code, reason);
            }

            ExpectKind(frame, FrameKind.Handshake, "message 2");
            Span<byte> payload = buffers.PayloadFor(frame.Payload.Length);
            int payloadLength = state.ReadMessage(frame.Payload.Span, payload);
            ReadOnlySpan<byte> msg2 = payload[..payloadLength];
            int fixedLength = (IsPsk ? CPaceMessages.PointLength : 0) + SasCommitment.NonceLength;
            if (msg2.Length < fixedLength + 2)
            {
                throw new ProtocolViolationException($"Message 2's payload is {msg2.Length} bytes; it must hold {fixedLength} bytes of fixed fields and a JSON object.");
            }

            // Order of docs/PROTOCOL.md §3.5: Yb (scalar_mult_vfy) right after the length check,
            // before the JSON and this side's policy.
            if (cpace is not null)
            {
                Span<byte> psk = stackalloc byte[32];
                try
                {
                    cpace.Finish(msg2[..CPaceMessages.PointLength], psk);
                    state.SetPsk(psk);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(psk);
                }
            }

            ReadOnlySpan<byte> responderNonce = msg2.Slice(fixedLength - SasCommitment.NonceLength, SasCommitment.NonceLength);
            if (IsReflection(state.RemoteStaticPublicKey))
            {
                await RefuseAsync(RefusalCode.KeyMismatch, "reflected static key", cancellationToken).ConfigureAwait(false);
                throw new ProtocolViolationException("The peer presented this side's own static key (a reflection of this side's messages).");
            }

            JsonElement peerPayload = HandshakePayload.Decode(msg2[fixedLength..]);

            // msg2's payload decrypted under es: the responder holds its static key. Decide now,
            // before msg3 reveals this side's identity; a rejection sends REFUSE 7 and nothing more.
            PeerInfo peer = PeerInfo.From(state.RemoteStaticPublicKey, peerPayload, RemoteEndPoint, VerifiedVersion1Fingerprint(peerPayload, state.PayloadHash, state.RemoteStaticPublicKey));
            PeerVerdict verdict = Verify(peer);
            if (!verdict.IsAccepted)
            {
                await RefuseAsync(RefusalCode.KeyMismatch, verdict.Message, cancellationToken).ConfigureAwait(false);
                throw new PeerRejectedException(verdict.Rejection!.Value, byPeer: false, $"The server was rejected before this side's identity was sent: {verdict.Message}", peer);
            }

            string sessionCode = SessionCode.Compute(state.LocalEphemeralPublicKey, state.RemoteEphemeralPublicKey, nonce, responderNonce);

            // msg3 (-> s, se [, psk]): payload = n_i ‖ JSON, the JSON signed over h where asked.
            buffers.MessageWriting();
            int tokens = state.WriteTokens(buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength));
            byte[] json = OwnPayload(state.CurrentHash);
            byte[] msg3Payload = [.. nonce, .. json];
            int msg3 = state.WritePayload(msg3Payload, buffer.AsSpan(Frame.HeaderSize, Frame.MaxPayloadLength), tokens);
            Frame.WriteHeader(buffer, FrameKind.Handshake, msg3);
            buffers.MessageWritten(Frame.HeaderSize + msg3);
            AttemptSpent = IsPsk;
            await _stream.WriteAsync(buffer.AsMemory(0, Frame.HeaderSize + msg3), cancellationToken).ConfigureAwait(false);

            return await ConfirmAsync(Finish(state, peerPayload, peer, verdict, sessionCode), result => AwaitReadyAsync(result.Receive, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            cpace?.Dispose();
        }
    }

    /// <summary>
    /// Waits for the responder's READY (docs/PROTOCOL.md §6): the first transport message, empty,
    /// type 0x05. A REFUSE 5 or 6 is the responder's (unauthenticated) verdict on message 3; anything
    /// else first is a protocol error.
    /// </summary>
    private async ValueTask AwaitReadyAsync(CipherState receive, CancellationToken cancellationToken)
    {
        ReceivedFrame frame = await ReadFrameAsync("confirming the handshake (READY)", cancellationToken).ConfigureAwait(false);
        if (frame.Kind == FrameKind.Refuse)
        {
            (byte code, string reason) = Refuse.Parse(frame.Payload.Span);
            if (code is not ((byte)RefusalCode.AuthenticationFailed or (byte)RefusalCode.NotAuthorized))
            {
                throw new ProtocolViolationException($"The peer sent REFUSE code {code} after message 3, where only codes 5 and 6 are valid.");
            }

            throw RefusalToException(code, reason, IsPsk);
        }

        ExpectKind(frame, FrameKind.Transport, "READY");
        Span<byte> message = frame.Payload.Span;
        int length = receive.DecryptWithAd([], message, message[..Math.Max(0, message.Length - TransportLimits.TagSize)]);
        if (length < 0)
        {
            throw new IntegrityException("The peer's first transport message (READY) failed authentication.");
        }

        receive.Rekey();
        if (length != 1 || message[0] != (byte)MessageType.Ready)
        {
            throw new ProtocolViolationException("The peer's first transport message is not READY.");
        }
    }

    private static void ExpectKind(ReceivedFrame frame, FrameKind kind, string what)
    {
        if (frame.Kind != kind)
        {
            throw new ProtocolViolationException($"The peer sent a frame of kind {(byte)frame.Kind} where {what} ({kind.ToString().ToUpperInvariant()}) was expected.");
        }
    }
}
