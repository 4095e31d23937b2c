using System.Security.Cryptography;
using SecureChat.Crypto;

namespace SecureChat.Noise;

/// <summary>
/// HandshakeState of Noise rev 34 §5.3 for the patterns of <see cref="HandshakePattern"/> (no
/// pre-messages): DH = 25519 (§12.1, X25519 of RFC 7748, 32-byte keys), cipher AESGCM (§12.3), hash
/// SHA256 (§12.5), the psk modifier (§9) and the hfs modifier with KEM = ML-KEM-768 (Noise extension
/// "Hybrid Forward Secrecy": tokens f and ff). Message sizes: XXhfs msg1 = 32 + 1,184 (+16 once a
/// key is set) + payload, msg2 = 32 + 1,088 (+16) + 48 + payload + 16, msg3 = 48 + payload + 16;
/// every message at most 65,535 bytes (§3).
/// X25519 public keys that are not canonical (bit 255 set, or u ≥ 2^255 − 19) are refused, and so is
/// an all-zero DH result. After the last message it calls Split() itself (§5.3), erases ck, the
/// handshake key, e, the ML-KEM secret key, the KEM shared secret and the psk, and keeps only the two
/// transport CipherStates for <see cref="TakeTransportCiphers"/>. Every secret it allocates is in a
/// pinned <see cref="SecretBuffer"/> tracked by the optional <see cref="SecretRegistry"/>, and every
/// temporary secret is on the stack and wiped.
/// </summary>
internal sealed class HandshakeState : IDisposable
{
    /// <summary>Noise §3: every handshake and transport message is at most 65535 bytes.</summary>
    public const int MaxMessageLength = 65535;

    private const int DhLength = X25519KeyPair.KeySize;
    private const int PskLength = 32;

    private readonly HandshakePattern _pattern;
    private readonly bool _initiator;
    private readonly SymmetricState _symmetric;
    private readonly X25519KeyPair _s;
    private readonly SecretRegistry? _registry;
    private readonly KeyLog? _keyLog;
    private readonly FixedHandshakeKeys? _fixedKeys;
    private readonly byte[] _payloadHash = new byte[SymmetricState.HashLen];
    private X25519KeyPair? _e;
    private byte[]? _re;
    private byte[]? _rs;
    private MlKem768KeyPair? _kem;
    private byte[]? _remoteKemPublicKey;
    private SecretBuffer? _kemSharedSecret;
    private SecretBuffer? _psk;
    private int _messageIndex;
    private int _pendingTokensLength = -1;
    private bool _hasPayloadHash;
    private byte[]? _handshakeHash;
    private CipherState? _c1;
    private CipherState? _c2;
    private bool _disposed;

    /// <summary>
    /// Initialize() of §5.3: InitializeSymmetric(protocol name), MixHash(prologue).
    /// <paramref name="s"/> stays owned by the caller. <paramref name="fixedKeys"/> is for test vectors only.
    /// </summary>
    public HandshakeState(
        HandshakePattern pattern,
        bool initiator,
        ReadOnlySpan<byte> prologue,
        X25519KeyPair s,
        SecretRegistry? registry = null,
        KeyLog? keyLog = null,
        FixedHandshakeKeys? fixedKeys = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(s);
        _pattern = pattern;
        _initiator = initiator;
        _s = s;
        _registry = registry;
        _keyLog = keyLog;
        _fixedKeys = fixedKeys;
        _symmetric = new SymmetricState(pattern.ProtocolName, registry, keyLog);
        _symmetric.MixHash(prologue);
    }

    public bool IsInitiator => _initiator;

    public bool IsComplete => _messageIndex >= _pattern.Messages.Count;

    /// <summary>True when it is this side's turn to write.</summary>
    public bool IsMyTurn => !IsComplete && ((_messageIndex % 2 == 0) == _initiator);

    /// <summary>How many handshake messages have been written or read.</summary>
    public int MessageIndex => _messageIndex;

    /// <summary>True once the psk token has been processed (a later failure points at the psk).</summary>
    public bool PskMixed { get; private set; }

    /// <summary>h right now. Between <see cref="WriteTokens"/> and <see cref="WritePayload"/> it is the AD the payload will be sealed under.</summary>
    public ReadOnlySpan<byte> CurrentHash => _symmetric.HandshakeHash;

    /// <summary>The h that was the AD of the last payload written or read (kept after the message; empty before the first).</summary>
    public ReadOnlySpan<byte> PayloadHash => _hasPayloadHash ? _payloadHash : default;

    /// <summary>Our ephemeral public key (after our "e" token).</summary>
    public ReadOnlySpan<byte> LocalEphemeralPublicKey => _e is null ? default : _e.PublicKey;

    /// <summary>The peer's ephemeral public key (after its "e" token).</summary>
    public ReadOnlySpan<byte> RemoteEphemeralPublicKey => _re;

    /// <summary>The peer's static public key (after its "s" token).</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _rs;

    /// <summary>h after the last message: the channel binding of the session.</summary>
    /// <exception cref="InvalidOperationException">The handshake is not complete.</exception>
    public ReadOnlySpan<byte> HandshakeHash =>
        _handshakeHash ?? throw new InvalidOperationException("The handshake is not complete.");

    /// <summary>Supplies the 32-byte psk (§9.1), before the message that holds the psk token is written or read.</summary>
    /// <exception cref="ArgumentException"><paramref name="psk32"/> is not 32 bytes.</exception>
    /// <exception cref="InvalidOperationException">The pattern has no psk token, or the psk was already mixed.</exception>
    public void SetPsk(ReadOnlySpan<byte> psk32)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (psk32.Length != PskLength)
        {
            throw new ArgumentException("A Noise psk is 32 bytes (§9.1).", nameof(psk32));
        }

        if (!_pattern.IsPsk || PskMixed)
        {
            throw new InvalidOperationException("This handshake takes no psk now.");
        }

        _psk ??= new SecretBuffer(PskLength, _registry);
        psk32.CopyTo(_psk.Span);
        _keyLog?.Write(KeyLogLabels.Psk, _psk.Span);
    }

    /// <summary>WriteMessage(payload, message_buffer) of §5.3: <see cref="WriteTokens"/> then <see cref="WritePayload"/>. Returns the message length.</summary>
    /// <exception cref="InvalidOperationException">Not this side's turn to write.</exception>
    /// <exception cref="ArgumentException">The message does not fit in <paramref name="message"/> or in 65535 bytes.</exception>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        int tokensLength = WriteTokens(message);
        return WritePayload(payload, message, tokensLength);
    }

    /// <summary>
    /// The first half of WriteMessage (§5.3): processes this message's tokens, writing their bytes to
    /// the start of <paramref name="message"/>. Returns how many. Then <see cref="CurrentHash"/> is
    /// the AD of the payload, and <see cref="WritePayload"/> must follow.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not this side's turn to write, or tokens already written.</exception>
    /// <exception cref="ArgumentException"><paramref name="message"/> is too small.</exception>
    /// <exception cref="ProtocolViolationException">The peer's keys (read earlier) give an all-zero DH result or an invalid ML-KEM key.</exception>
    public int WriteTokens(Span<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsMyTurn || _pendingTokensLength >= 0)
        {
            throw new InvalidOperationException("It is not this side's turn to write a handshake message.");
        }

        if (message.Length > MaxMessageLength)
        {
            message = message[..MaxMessageLength];
        }

        int pos = 0;
        foreach (Token token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case Token.E:
                    pos += WriteEphemeral(message, pos);
                    break;
                case Token.F:
                    pos += _initiator ? WriteKemPublicKey(message, pos) : WriteKemCiphertext(message, pos);
                    break;
                case Token.S:
                    RequireSpace(message, pos, _symmetric.EncryptedLength(X25519KeyPair.KeySize));
                    pos += _symmetric.EncryptAndHash(_s.PublicKey, message[pos..]);
                    break;
                default:
                    MixToken(token);
                    break;
            }
        }

        _pendingTokensLength = pos;
        return pos;
    }

    /// <summary>
    /// The second half of WriteMessage: EncryptAndHash(payload) after the <paramref name="tokensLength"/>
    /// bytes that <see cref="WriteTokens"/> wrote, then the next message (and Split() after the last).
    /// Returns the total message length.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="WriteTokens"/> was not called first, or with another length.</exception>
    /// <exception cref="ArgumentException">The payload does not fit in <paramref name="message"/> or in 65535 bytes.</exception>
    public int WritePayload(ReadOnlySpan<byte> payload, Span<byte> message, int tokensLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pendingTokensLength < 0 || tokensLength != _pendingTokensLength)
        {
            throw new InvalidOperationException("WritePayload must follow WriteTokens, with the length it returned.");
        }

        int payloadLength = _symmetric.EncryptedLength(payload.Length);
        if (tokensLength + payloadLength > Math.Min(message.Length, MaxMessageLength))
        {
            throw new ArgumentException("The handshake payload does not fit in one Noise message.", nameof(payload));
        }

        _pendingTokensLength = -1;
        RememberPayloadHash();
        int pos = tokensLength + _symmetric.EncryptAndHash(payload, message[tokensLength..]);
        Advance();
        return pos;
    }

    /// <summary>ReadMessage(message, payload_buffer) of §5.3. Returns the payload length. A message with a psk token needs <see cref="SetPsk"/> first.</summary>
    /// <exception cref="InvalidOperationException">Not this side's turn to read, or the psk was not set.</exception>
    /// <exception cref="ArgumentException"><paramref name="payload"/> is too small for the payload.</exception>
    /// <exception cref="ProtocolViolationException">The message is too short or too long, holds a non-canonical X25519 key or an invalid ML-KEM key, or a DH result is all zero.</exception>
    /// <exception cref="IntegrityException">An encrypted part failed authentication.</exception>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsComplete || IsMyTurn || _pendingTokensLength >= 0)
        {
            throw new InvalidOperationException("It is not this side's turn to read a handshake message.");
        }

        if (message.Length > MaxMessageLength)
        {
            throw new ProtocolViolationException("A handshake message is longer than 65535 bytes.");
        }

        int pos = 0;
        foreach (Token token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case Token.E:
                    pos += ReadEphemeral(message, pos);
                    break;
                case Token.F:
                    pos += _initiator ? ReadKemCiphertext(message, pos) : ReadKemPublicKey(message, pos);
                    break;
                case Token.S:
                    pos += ReadStatic(message, pos);
                    break;
                default:
                    MixToken(token);
                    break;
            }
        }

        return ReadPayload(message, pos, payload);
    }

    /// <summary>Hands over the transport CipherStates (initiator→responder, responder→initiator). Once.</summary>
    /// <exception cref="InvalidOperationException">The handshake is not complete, or the ciphers were already taken.</exception>
    public (CipherState InitiatorToResponder, CipherState ResponderToInitiator) TakeTransportCiphers()
    {
        if (_c1 is null || _c2 is null)
        {
            throw new InvalidOperationException("The handshake is not complete, or the ciphers were already taken.");
        }

        var result = (_c1, _c2);
        _c1 = null;
        _c2 = null;
        return result;
    }

    // "e" (§5.3): a fresh ephemeral key pair, its public key in clear, MixHash(e.public_key); in a
    // psk handshake also MixKey(e.public_key) (§9.2), so that everything after it is encrypted.
    private int WriteEphemeral(Span<byte> message, int pos)
    {
        RequireSpace(message, pos, DhLength);
        _e ??= _fixedKeys?.EphemeralPrivateKey is { } fixedKey
            ? X25519KeyPair.FromPrivateKey(fixedKey, _registry)
            : X25519KeyPair.Generate(_registry);
        _e.PublicKey.CopyTo(message[pos..]);
        _symmetric.MixHash(_e.PublicKey);
        if (_pattern.IsPsk)
        {
            _symmetric.MixKey(_e.PublicKey);
        }

        return DhLength;
    }

    private int ReadEphemeral(ReadOnlySpan<byte> message, int pos)
    {
        RequireBytes(message, pos, DhLength);
        ReadOnlySpan<byte> re = message.Slice(pos, DhLength);
        RequireCanonical(re, "ephemeral");
        _re = re.ToArray();
        _symmetric.MixHash(_re);
        if (_pattern.IsPsk)
        {
            _symmetric.MixKey(_re);
        }

        return DhLength;
    }

    // "f" written by the initiator (hfs): a fresh KEM key pair, EncryptAndHash(pk). Encrypted only if
    // a key is set (in a psk handshake the e token's MixKey has set one).
    private int WriteKemPublicKey(Span<byte> message, int pos)
    {
        RequireSpace(message, pos, _symmetric.EncryptedLength(MlKem768KeyPair.PublicKeySize));
        _kem ??= _fixedKeys?.KemSeed is { } seed
            ? MlKem768KeyPair.FromSeed(seed, _registry)
            : MlKem768KeyPair.Generate(_registry);
        return _symmetric.EncryptAndHash(_kem.PublicKey, message[pos..]);
    }

    // "f" read by the responder: DecryptAndHash(pk); the key itself is checked by the encapsulation.
    private int ReadKemPublicKey(ReadOnlySpan<byte> message, int pos)
    {
        int length = _symmetric.EncryptedLength(MlKem768KeyPair.PublicKeySize);
        RequireBytes(message, pos, length);
        _remoteKemPublicKey = new byte[MlKem768KeyPair.PublicKeySize];
        if (_symmetric.DecryptAndHash(message.Slice(pos, length), _remoteKemPublicKey) < 0)
        {
            throw new IntegrityException("The peer's KEM public key failed authentication during the handshake.");
        }

        return length;
    }

    // "f" written by the responder (hfs): (ct, ss) = Encaps(peer pk), EncryptAndHash(ct); ss waits for "ff".
    private int WriteKemCiphertext(Span<byte> message, int pos)
    {
        if (_remoteKemPublicKey is null)
        {
            throw new InvalidOperationException("The f token came before the peer's KEM public key.");
        }

        RequireSpace(message, pos, _symmetric.EncryptedLength(MlKem768KeyPair.CiphertextSize));
        Span<byte> ct = message.Slice(pos, MlKem768KeyPair.CiphertextSize);
        _kemSharedSecret ??= new SecretBuffer(MlKem768KeyPair.SharedSecretSize, _registry, SecretLabels.KemSharedSecret);
        MlKem768KeyPair.Encapsulate(_remoteKemPublicKey, ct, _kemSharedSecret.Span, _fixedKeys?.KemEncapsulationSeed);

        // In place: the ciphertext is encrypted where it was written.
        return _symmetric.EncryptAndHash(ct, message[pos..]);
    }

    // "f" read by the initiator: DecryptAndHash(ct), ss = Decaps(ct, sk); ss waits for "ff".
    private int ReadKemCiphertext(ReadOnlySpan<byte> message, int pos)
    {
        if (_kem is null)
        {
            throw new InvalidOperationException("The f token came before our KEM key pair.");
        }

        int length = _symmetric.EncryptedLength(MlKem768KeyPair.CiphertextSize);
        RequireBytes(message, pos, length);
        byte[] ct = new byte[MlKem768KeyPair.CiphertextSize];
        if (_symmetric.DecryptAndHash(message.Slice(pos, length), ct) < 0)
        {
            throw new IntegrityException("The peer's KEM ciphertext failed authentication during the handshake.");
        }

        _kemSharedSecret ??= new SecretBuffer(MlKem768KeyPair.SharedSecretSize, _registry, SecretLabels.KemSharedSecret);
        _kem.Decapsulate(ct, _kemSharedSecret.Span);

        // The KEM secret key has done its only job.
        _kem.Dispose();
        return length;
    }

    private int ReadStatic(ReadOnlySpan<byte> message, int pos)
    {
        int length = _symmetric.EncryptedLength(X25519KeyPair.KeySize);
        RequireBytes(message, pos, length);
        Span<byte> rs = stackalloc byte[X25519KeyPair.KeySize];
        if (_symmetric.DecryptAndHash(message.Slice(pos, length), rs) < 0)
        {
            throw new IntegrityException("The peer's static key failed authentication during the handshake.");
        }

        RequireCanonical(rs, "static");
        _rs = rs.ToArray();
        return length;
    }

    private int ReadPayload(ReadOnlySpan<byte> message, int pos, Span<byte> payload)
    {
        ReadOnlySpan<byte> encryptedPayload = message[pos..];
        int expected = encryptedPayload.Length - (_symmetric.HasKey ? Aes256Gcm.TagSize : 0);
        if (expected < 0)
        {
            throw new ProtocolViolationException("A handshake message is too short.");
        }

        if (payload.Length < expected)
        {
            throw new ArgumentException("The payload buffer is too small.", nameof(payload));
        }

        RememberPayloadHash();
        int written = _symmetric.DecryptAndHash(encryptedPayload, payload[..expected]);
        if (written < 0)
        {
            throw new IntegrityException("A handshake payload failed authentication.");
        }

        Advance();
        return written;
    }

    private void MixToken(Token token)
    {
        switch (token)
        {
            case Token.FF:
                // hfs "ff": MixKey(KEM shared secret), then the secret is erased.
                if (_kemSharedSecret is null || _kemSharedSecret.IsDisposed)
                {
                    throw new InvalidOperationException("The ff token came before the KEM exchange.");
                }

                _symmetric.MixKey(_kemSharedSecret.Span);
                _kemSharedSecret.Dispose();
                break;
            case Token.Psk:
                // §9.2: MixKeyAndHash(psk).
                if (_psk is null)
                {
                    throw new InvalidOperationException("The psk token was reached before SetPsk().");
                }

                _symmetric.MixKeyAndHash(_psk.Span);
                _psk.Dispose();
                PskMixed = true;
                break;
            default:
                MixDh(token);
                break;
        }
    }

    private void MixDh(Token token)
    {
        // §5.3: for "es" the initiator uses DH(e, rs), the responder DH(s, re); "se" is the mirror.
        (X25519KeyPair? local, byte[]? remote) = token switch
        {
            Token.EE => (_e, _re),
            Token.ES => _initiator ? (_e, _rs) : (_s, _re),
            Token.SE => _initiator ? (_s, _re) : (_e, _rs),
            Token.SS => (_s, _rs),
            _ => throw new InvalidOperationException($"Unknown token {token}."),
        };
        if (local is null || remote is null)
        {
            throw new InvalidOperationException("A DH token came before the keys it needs.");
        }

        Span<byte> shared = stackalloc byte[DhLength];
        try
        {
            local.Agree(remote, shared);
            _symmetric.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private void RememberPayloadHash()
    {
        _symmetric.HandshakeHash.CopyTo(_payloadHash);
        _hasPayloadHash = true;
    }

    private void Advance()
    {
        _messageIndex++;
        if (!IsComplete)
        {
            return;
        }

        // §5.3: after the last message pattern, Split(). Then every handshake secret goes.
        (_c1, _c2) = _symmetric.Split();
        _handshakeHash = _symmetric.HandshakeHash.ToArray();
        EraseHandshakeSecrets();
    }

    private void EraseHandshakeSecrets()
    {
        _symmetric.Dispose();
        _e?.Dispose();
        _kem?.Dispose();
        _kemSharedSecret?.Dispose();
        _psk?.Dispose();
    }

    private static void RequireBytes(ReadOnlySpan<byte> message, int pos, int count)
    {
        if (message.Length - pos < count)
        {
            throw new ProtocolViolationException("A handshake message is too short.");
        }
    }

    private static void RequireSpace(Span<byte> message, int pos, int count)
    {
        if (message.Length - pos < count)
        {
            throw new ArgumentException("The handshake message does not fit in the buffer or in 65535 bytes.", nameof(message));
        }
    }

    private static void RequireCanonical(ReadOnlySpan<byte> key, string which)
    {
        if (!X25519PublicKey.IsCanonical(key))
        {
            throw new ProtocolViolationException($"The peer's {which} X25519 public key is not canonical (bit 255 set or u >= 2^255-19).");
        }
    }

    /// <summary>Erases every handshake secret and the transport keys not yet taken. The static key stays the caller's.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        EraseHandshakeSecrets();
        _c1?.Dispose();
        _c2?.Dispose();
        _c1 = null;
        _c2 = null;
    }
}
