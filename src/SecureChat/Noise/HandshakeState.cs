using System.Security.Cryptography;
using SecureChat.Crypto;

namespace SecureChat.Noise;

/// <summary>
/// HandshakeState of Noise §5.3 for the patterns in <see cref="HandshakePattern"/> (no pre-messages),
/// with DH = P-256 (§12.1 analogue: 65-byte uncompressed public keys, 32-byte X-coordinate output).
/// After the last message it calls Split() itself, erases ck, the handshake key, the ephemeral key
/// and the psk, and keeps only the two transport CipherStates for <see cref="TakeTransportCiphers"/>.
/// </summary>
internal sealed class HandshakeState : IDisposable
{
    /// <summary>Noise §3: every handshake and transport message is at most 65535 bytes.</summary>
    public const int MaxMessageLength = 65535;

    private readonly HandshakePattern _pattern;
    private readonly bool _initiator;
    private readonly SymmetricState _symmetric;
    private readonly P256KeyPair _s;
    private readonly SecretRegistry? _registry;
    private readonly KeyLog? _keyLog;
    private P256KeyPair? _e;
    private P256PublicKey? _re;
    private P256PublicKey? _rs;
    private SecretBuffer? _psk;
    private int _messageIndex;
    private byte[]? _handshakeHash;
    private CipherState? _c1;
    private CipherState? _c2;

    /// <summary>Initialize() of §5.3. <paramref name="s"/> stays owned by the caller; <paramref name="fixedEphemeral"/>, if given, is taken over (test vectors only).</summary>
    public HandshakeState(
        HandshakePattern pattern,
        bool initiator,
        ReadOnlySpan<byte> prologue,
        P256KeyPair s,
        SecretRegistry? registry = null,
        KeyLog? keyLog = null,
        P256KeyPair? fixedEphemeral = null)
    {
        _pattern = pattern;
        _initiator = initiator;
        _s = s;
        _registry = registry;
        _keyLog = keyLog;
        _e = fixedEphemeral;
        _symmetric = new SymmetricState(pattern.ProtocolName, registry, keyLog);
        _symmetric.MixHash(prologue);
    }

    public bool IsInitiator => _initiator;

    public bool IsComplete => _messageIndex >= _pattern.Messages.Count;

    /// <summary>True when it is this side's turn to write.</summary>
    public bool IsMyTurn => !IsComplete && ((_messageIndex % 2 == 0) == _initiator);

    /// <summary>How many handshake messages have been written or read.</summary>
    public int MessageIndex => _messageIndex;

    /// <summary>True once the psk token has been processed (a later failure points at the passphrase).</summary>
    public bool PskMixed { get; private set; }

    /// <summary>Our ephemeral public key (after our "e" token).</summary>
    public ReadOnlySpan<byte> LocalEphemeralPublicKey => _e is null ? default : _e.PublicKey;

    /// <summary>The peer's ephemeral public key (after its "e" token).</summary>
    public ReadOnlySpan<byte> RemoteEphemeralPublicKey => _re is null ? default : _re.Encoded;

    /// <summary>The peer's static public key (after its "s" token).</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _rs is null ? default : _rs.Encoded;

    /// <summary>h after the last message: the channel binding for the session code.</summary>
    public ReadOnlySpan<byte> HandshakeHash =>
        _handshakeHash ?? throw new InvalidOperationException("The handshake is not complete.");

    /// <summary>Supplies the psk (§9): must be called before the message that holds the psk token.</summary>
    public void SetPsk(ReadOnlySpan<byte> psk)
    {
        if (psk.Length != 32)
        {
            throw new ArgumentException("A Noise psk is 32 bytes (§9.1).", nameof(psk));
        }

        _psk?.Dispose();
        _psk = new SecretBuffer(32, _registry);
        psk.CopyTo(_psk.Span);
        _keyLog?.Write(KeyLogLabels.Psk, _psk.Span);
    }

    /// <summary>WriteMessage(payload, message_buffer) of §5.3. Returns the message length.</summary>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        if (!IsMyTurn)
        {
            throw new InvalidOperationException("It is not this side's turn to write a handshake message.");
        }

        int pos = 0;
        foreach (Token token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case Token.E:
                    _e ??= P256KeyPair.Generate();
                    _e.PublicKey.CopyTo(message[pos..]);
                    _symmetric.MixHash(_e.PublicKey);
                    if (_pattern.IsPsk)
                    {
                        _symmetric.MixKey(_e.PublicKey);
                    }

                    pos += P256PublicKey.Size;
                    break;
                case Token.S:
                    pos += _symmetric.EncryptAndHash(_s.PublicKey, message[pos..]);
                    break;
                case Token.Psk:
                    MixPsk();
                    break;
                default:
                    MixDh(token);
                    break;
            }
        }

        int payloadLength = _symmetric.EncryptedLength(payload.Length);
        if (pos + payloadLength > Math.Min(message.Length, MaxMessageLength))
        {
            throw new ArgumentException("The handshake payload does not fit in one Noise message.", nameof(payload));
        }

        pos += _symmetric.EncryptAndHash(payload, message[pos..]);
        Advance();
        return pos;
    }

    /// <summary>
    /// ReadMessage(message, payload_buffer) of §5.3. Returns the payload length.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The message is too short, or holds a public key that is not a P-256 point.</exception>
    /// <exception cref="IntegrityException">An encrypted part failed authentication.</exception>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (IsComplete || IsMyTurn)
        {
            throw new InvalidOperationException("It is not this side's turn to read a handshake message.");
        }

        if (message.Length > MaxMessageLength)
        {
            throw new ProtocolViolationException("A handshake message is longer than 65535 bytes.");
        }

        int pos = 0;
        Span<byte> rs = stackalloc byte[P256PublicKey.Size];
        foreach (Token token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case Token.E:
                    RequireBytes(message, pos, P256PublicKey.Size);
                    _re = ParsePublicKey(message.Slice(pos, P256PublicKey.Size), "ephemeral");
                    _symmetric.MixHash(_re.Encoded);
                    if (_pattern.IsPsk)
                    {
                        _symmetric.MixKey(_re.Encoded);
                    }

                    pos += P256PublicKey.Size;
                    break;
                case Token.S:
                    int length = _symmetric.EncryptedLength(P256PublicKey.Size);
                    RequireBytes(message, pos, length);
                    if (_symmetric.DecryptAndHash(message.Slice(pos, length), rs) < 0)
                    {
                        throw new IntegrityException("The peer's static key failed authentication during the handshake.");
                    }

                    _rs = ParsePublicKey(rs, "static");
                    pos += length;
                    break;
                case Token.Psk:
                    MixPsk();
                    break;
                default:
                    MixDh(token);
                    break;
            }
        }

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

        int written = _symmetric.DecryptAndHash(encryptedPayload, payload[..expected]);
        if (written < 0)
        {
            throw new IntegrityException("A handshake payload failed authentication.");
        }

        Advance();
        return written;
    }

    /// <summary>Hands over the transport CipherStates (initiator→responder, responder→initiator). Once.</summary>
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

    private void MixDh(Token token)
    {
        // §5.3: for "es" the initiator uses DH(e, rs), the responder DH(s, re); "se" is the mirror.
        (P256KeyPair? local, P256PublicKey? remote) = token switch
        {
            Token.EE => (_e, _re),
            Token.ES => _initiator ? (_e, _rs) : ((P256KeyPair?)_s, _re),
            Token.SE => _initiator ? (_s, _re) : (_e, _rs),
            Token.SS => (_s, _rs),
            _ => throw new InvalidOperationException("Not a DH token."),
        };
        if (local is null || remote is null)
        {
            throw new InvalidOperationException("A DH token came before the keys it needs.");
        }

        Span<byte> shared = stackalloc byte[P256KeyPair.DhLength];
        try
        {
            local.DeriveSharedSecret(remote, shared);
            _symmetric.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private void MixPsk()
    {
        if (_psk is null)
        {
            throw new InvalidOperationException("The psk token was reached before SetPsk().");
        }

        _symmetric.MixKeyAndHash(_psk.Span);
        PskMixed = true;
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
        _psk?.Dispose();
    }

    private static void RequireBytes(ReadOnlySpan<byte> message, int pos, int count)
    {
        if (message.Length - pos < count)
        {
            throw new ProtocolViolationException("A handshake message is too short.");
        }
    }

    private static P256PublicKey ParsePublicKey(ReadOnlySpan<byte> encoded, string which) =>
        P256PublicKey.TryParse(encoded, out P256PublicKey? key)
            ? key
            : throw new ProtocolViolationException($"The peer's {which} public key is not a valid P-256 point.");

    public void Dispose()
    {
        EraseHandshakeSecrets();
        _re?.Dispose();
        _rs?.Dispose();
        _c1?.Dispose();
        _c2?.Dispose();
    }
}
