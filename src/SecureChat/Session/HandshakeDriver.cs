using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureChat.Crypto;
using SecureChat.Identity;
using SecureChat.Framing;
using SecureChat.Noise;

namespace SecureChat.Session;

/// <summary>
/// Runs protocol v2's handshake over a stream for either role (docs/PROTOCOL.md §2–§6): HELLO and
/// message 1 in one write; message 2 or a REFUSE; message 3 or a REFUSE 7; then the responder's READY
/// or a REFUSE 5/6. Noise_XXhfs(+psk3)_25519+MLKEM768_AESGCM_SHA256 with the HELLO as prologue, CPace
/// for the psk, and the session-code commitment. The peer is verified (<see cref="SessionOptions.VerifyPeer"/>)
/// as soon as its static key is authenticated: the initiator after message 2 and before message 3,
/// which reveals its own identity; the responder after message 3, before READY. The initiator
/// returns only once READY has decrypted: before that nothing is reported as established.
/// </summary>
internal sealed partial class HandshakeDriver
{
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly SessionOptions _options;
    private readonly X25519KeyPair _staticKey;
    private readonly KeyLog? _keyLog;
    private readonly SecretRegistry? _registry;

    public HandshakeDriver(Stream stream, FrameReader reader, SessionOptions options, X25519KeyPair staticKey, KeyLog? keyLog)
    {
        _stream = stream;
        _reader = reader;
        _options = options;
        _staticKey = staticKey;
        _keyLog = keyLog;
        _registry = options.TestHooks?.Registry;
    }

    /// <summary>
    /// True once a passphrase attempt counts as spent (docs/PROTOCOL.md §8), in PSK mode only: the
    /// initiator has sent message 3; the responder has sent message 2 (so a peer that drops the
    /// handshake after message 2 is counted too).
    /// </summary>
    public bool AttemptSpent { get; private set; }

    private System.Net.EndPoint? RemoteEndPoint => (_stream as System.Net.Sockets.NetworkStream)?.Socket.RemoteEndPoint;

    private bool IsPsk => _options.Passphrase is not null;

    private PeerVerdict Verify(PeerInfo peer) =>
        _options.VerifyPeer?.Invoke(peer) ?? PeerVerdict.Accept(peer.IsEphemeral ? PeerTrust.Ephemeral : PeerTrust.New);

    private HandshakeState NewState(bool initiator, ReadOnlySpan<byte> prologue)
    {
        HandshakePattern pattern = IsPsk ? HandshakePattern.XXhfsPsk3 : HandshakePattern.XXhfs;
        byte[]? fixedEphemeral = _options.TestHooks?.FixedEphemeralScalar;
        FixedHandshakeKeys? fixedKeys = fixedEphemeral is null ? null : new FixedHandshakeKeys(fixedEphemeral, null, null);
        return new HandshakeState(pattern, initiator, prologue, _staticKey, _registry, _keyLog, fixedKeys);
    }

    /// <summary>The CPace channel (docs/PROTOCOL.md §4): empty for a direct connection, the relay nameplate's ASCII digits otherwise.</summary>
    private byte[] Channel => _options.PakeChannel is null ? [] : System.Text.Encoding.ASCII.GetBytes(_options.PakeChannel);

    /// <summary>A refusal of the peer's static key when it is our own (a reflection of our messages).</summary>
    private bool IsReflection(ReadOnlySpan<byte> remoteStatic) =>
        CryptographicOperations.FixedTimeEquals(remoteStatic, _staticKey.PublicKey);

    /// <summary>
    /// This side's JSON object for message 2 or 3 (docs/PROTOCOL.md §3, §7): the application's
    /// fields, plus "v1_key" and "v1_sig" while a v1 identity exists — its signature over
    /// "SecureChat v1->v2" ‖ h ‖ our X25519 static key, where h is the AD this payload is sealed under.
    /// </summary>
    private byte[] OwnPayload(ReadOnlySpan<byte> h)
    {
        JsonObject value = _options.HandshakePayload?.DeepClone().AsObject() ?? new JsonObject { ["software"] = HandshakePayload.SoftwareName };
        if (_options.Version1Key is { } v1)
        {
            (string key, string signature) = V1CrossSignature.Create(v1, h, _staticKey.PublicKey);
            value["v1_key"] = key;
            value["v1_sig"] = signature;
        }

        return HandshakePayload.Encode(value);
    }

    /// <summary>The peer's verified v1 fingerprint: set only when its payload carries a v1 key and a valid signature over h (the AD of that payload) and its new static key.</summary>
    private static string? VerifiedVersion1Fingerprint(JsonElement payload, ReadOnlySpan<byte> h, ReadOnlySpan<byte> remoteStatic)
    {
        if (payload.TryGetProperty("v1_key", out JsonElement key) && key.ValueKind == JsonValueKind.String
            && payload.TryGetProperty("v1_sig", out JsonElement signature) && signature.ValueKind == JsonValueKind.String
            && V1CrossSignature.Verify(key.GetString()!, signature.GetString()!, h, remoteStatic, out byte[] v1PublicKey))
        {
            return Fingerprint.Of(v1PublicKey);
        }

        return null;
    }

    /// <summary>
    /// Reads the next handshake frame. A v1 refusal (a body starting "SCERR", not a v2 kind) is read as
    /// "the server speaks v1" only where the initiator waits for msg2 (<paramref name="version1RefusalAllowed"/>,
    /// docs/PROTOCOL.md Appendix A); anywhere else it is a frame of an unknown kind, a protocol error.
    /// </summary>
    private async ValueTask<ReceivedFrame> ReadFrameAsync(string what, CancellationToken cancellationToken, bool version1RefusalAllowed = false)
    {
        Memory<byte>? body = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            throw new ConnectionLostException($"The peer closed the connection before {what}.");
        }

        if (version1RefusalAllowed && ErrorFrame.IsErrorFrame(body.Value.Span))
        {
            // A v1 server answers a v2 HELLO with its own refusal (v1 framing, no kind byte).
            throw new PeerRefusedException(RefusalCode.UnsupportedVersion, "The server speaks the older SecureChat protocol v1 (it answered with a v1 refusal); this refusal is not authenticated. Update the server to talk to it.", "");
        }

        return ReceivedFrame.Of(body.Value);
    }

    private async ValueTask WriteFrameAsync(FrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] frame = Frame.Create(kind, payload.Span);
        await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask RefuseAsync(RefusalCode code, string reason, CancellationToken cancellationToken) =>
        SendRefusalAsync(_stream, _reader, code, reason, drainFirst: false, cancellationToken);

    /// <summary>Sends one REFUSE frame (after reading the initiator's message 1 when asked, so that closing does not reset the connection before the refusal is read).</summary>
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
            // Best effort: the refusal is sent whether or not message 1 came.
        }

        try
        {
            await stream.WriteAsync(Frame.Create(FrameKind.Refuse, Refuse.Create((byte)code, reason)), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is gone already; nothing to tell it.
        }
    }

    /// <summary>Answers a v1 client's hello with v1's SCERR code 1 (v1 framing: no kind byte), so its user learns why.</summary>
    private ValueTask AnswerVersion1Async(CancellationToken cancellationToken) => AnswerVersion1Async(_stream, cancellationToken);

    /// <summary>Writes v1's SCERR code 1 frame (v1 framing: no kind byte) to <paramref name="stream"/>.</summary>
    internal static async ValueTask AnswerVersion1Async(Stream stream, CancellationToken cancellationToken)
    {
        byte[] body = ErrorFrame.Create((byte)RefusalCode.UnsupportedVersion, "this server speaks SecureChat protocol v2: update the client");
        byte[] frame = new byte[Frame.LengthSize + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)body.Length);
        body.CopyTo(frame, Frame.LengthSize);
        try
        {
            await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Gone already.
        }
    }

    private HandshakeResult Finish(HandshakeState state, System.Text.Json.JsonElement peerPayload, PeerInfo peer, PeerVerdict verdict, string sessionCode)
    {
        (CipherState i2r, CipherState r2i) = state.TakeTransportCiphers();
        return new HandshakeResult(
            Send: state.IsInitiator ? i2r : r2i,
            Receive: state.IsInitiator ? r2i : i2r,
            ProtocolName: IsPsk ? HandshakePattern.XXhfsPsk3.ProtocolName : HandshakePattern.XXhfs.ProtocolName,
            HandshakeHash: state.HandshakeHash.ToArray(),
            PeerStaticPublicKey: state.RemoteStaticPublicKey.ToArray(),
            PeerPayload: peerPayload,
            Peer: peer,
            Verdict: verdict,
            SessionCode: sessionCode);
    }

    /// <summary>
    /// The READY step (docs/PROTOCOL.md §4): <paramref name="confirm"/> sends it (responder) or waits
    /// for it (initiator) with the split ciphers; if it fails, both ciphers are erased before the
    /// fault goes on.
    /// </summary>
    private static async ValueTask<HandshakeResult> ConfirmAsync(HandshakeResult result, Func<HandshakeResult, ValueTask> confirm)
    {
        try
        {
            await confirm(result).ConfigureAwait(false);
            return result;
        }
        catch
        {
            result.Send.Dispose();
            result.Receive.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps a REFUSE the initiator received to the exception that says what it means. A REFUSE is
    /// unauthenticated (docs/PROTOCOL.md §5): anyone on the path can forge one. The texts say what the
    /// server *says*, never advise weakening a setting, and nothing changes the version, the mode or
    /// a pin because of one; the peer's own words travel separately and are sanitised by whoever shows them.
    /// </summary>
    /// <param name="code">The REFUSE code, already checked against the state (docs/PROTOCOL.md §1).</param>
    /// <param name="reason">The peer's reason text, unsanitised.</param>
    /// <param name="psk">
    /// True in mode 2. In mode 1 there is no passphrase, so a REFUSE 5 can only mean that message 3
    /// did not open the commitment (or was changed on the way): it is never reported as a wrong passphrase.
    /// </param>
    internal static SecureChatException RefusalToException(byte code, string reason, bool psk = true) => (RefusalCode)code switch
    {
        RefusalCode.AuthenticationFailed when !psk => new AuthenticationFailedException(AuthenticationFailure.CommitmentMismatch, "Authentication failed: the peer says (unauthenticated) this side's message 3 did not match the handshake (changed on the way?). There is no passphrase in this session."),
        RefusalCode.UnsupportedVersion => new PeerRefusedException(RefusalCode.UnsupportedVersion, "The peer says (unauthenticated) it does not speak SecureChat protocol v2. If both sides really differ, update the other one; this side does not fall back.", reason),
        RefusalCode.PassphraseRequired => new AuthenticationFailedException(AuthenticationFailure.PassphraseRequired, "The peer says (unauthenticated) it requires a passphrase."),
        RefusalCode.NoPassphraseExpected => new AuthenticationFailedException(AuthenticationFailure.PassphraseNotExpected, "The peer says (unauthenticated) it does not use a passphrase; this side does not drop its passphrase because of a refusal anyone on the path could forge."),
        RefusalCode.Busy => new PeerRefusedException(RefusalCode.Busy, "The peer says (unauthenticated) it is busy with another conversation: try again later.", reason),
        RefusalCode.AuthenticationFailed => new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "Authentication failed: the peer says (unauthenticated) the passphrases do not match (or the handshake was changed on the way)."),
        RefusalCode.NotAuthorized => new PeerRejectedException(PeerRejection.NotAuthorized, byPeer: true, "The peer says (unauthenticated) it does not authorize this side's identity.", peerReason: reason),
        RefusalCode.KeyMismatch => new PeerRejectedException(PeerRejection.KeyMismatch, byPeer: true, "The peer says (unauthenticated) it remembers a different key for this side.", peerReason: reason),
        _ => new PeerRefusedException((RefusalCode)code, $"The peer refused the connection (code {code}, unauthenticated).", reason),
    };
}
