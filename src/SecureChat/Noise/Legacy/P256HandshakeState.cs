using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Noise.Legacy;

/// <summary>
/// The v1 HandshakeState of Noise §5.3 (P-256; kept until the v2 session lands) for the patterns in <see cref="P256HandshakePattern"/> (no pre-messages),
/// with DH = P-256 (§12.1 analogue: 65-byte uncompressed public keys, 32-byte X-coordinate output).
/// After the last message it calls Split() itself, erases ck, the handshake key, the ephemeral key
/// and the psk, and keeps only the two transport CipherStates for <see cref="TakeTransportCiphers"/>.
/// A message with a psk token can be read in two phases (<see cref="ReadMessageUntilPsk"/>), so
/// that the psk is supplied only once the tokens before it have been authenticated.
/// </summary>
internal sealed class P256HandshakeState : IDisposable
{
    /// <summary>Noise §3: every handshake and transport message is at most 65535 bytes.</summary>
    public const int MaxMessageLength = 65535;

    private readonly P256HandshakePattern _pattern;
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
    private int _pausedAtToken = -1;
    private int _pausedPosition;
    private int _pausedLength;
    private byte[]? _handshakeHash;
    private CipherState? _c1;
    private CipherState? _c2;

    /// <summary>Initialize() of §5.3. <paramref name="s"/> stays owned by the caller; <paramref name="fixedEphemeral"/>, if given, is taken over (test vectors only).</summary>
    public P256HandshakeState(
        P256HandshakePattern pattern,
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

    /// <summary>Supplies the psk (§9): before the psk token is processed (before the message that holds it, or between the two phases of its read).</summary>
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
    /// ReadMessage(message, payload_buffer) of §5.3. Returns the payload length. A message with a
    /// psk token needs <see cref="SetPsk"/> first, or the two-phase read below.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The message is too short, or holds a public key that is not a P-256 point.</exception>
    /// <exception cref="IntegrityException">An encrypted part failed authentication.</exception>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        BeginRead(message);
        Token[] tokens = _pattern.Messages[_messageIndex];
        int pos = ReadTokens(message, tokens, 0, tokens.Length, 0);
        return ReadPayload(message, pos, payload);
    }

    /// <summary>
    /// The first half of a two-phase ReadMessage (§5.3) for a message that holds the psk token
    /// (§9.1): processes the tokens before psk, in order, and stops there. In XXpsk3's third
    /// message (s, se, psk) this decrypts and authenticates the peer's static key (DecryptAndHash
    /// under the key from ee and es) before any psk is needed, so the caller can put off an
    /// expensive psk derivation until the peer has shown it follows the protocol. Then
    /// <see cref="SetPsk"/> (if not done yet) and <see cref="ReadMessageAfterPsk"/> with the same
    /// message. The operations and their order are exactly those of a one-shot ReadMessage, so the
    /// transcript (h, ck) is the same.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not this side's turn to read, or the message has no psk token.</exception>
    /// <exception cref="ProtocolViolationException">As <see cref="ReadMessage"/>.</exception>
    /// <exception cref="IntegrityException">As <see cref="ReadMessage"/>.</exception>
    public void ReadMessageUntilPsk(ReadOnlySpan<byte> message)
    {
        BeginRead(message);
        Token[] tokens = _pattern.Messages[_messageIndex];
        int pskIndex = Array.IndexOf(tokens, Token.Psk);
        if (pskIndex < 0)
        {
            throw new InvalidOperationException("This handshake message has no psk token; use ReadMessage.");
        }

        _pausedPosition = ReadTokens(message, tokens, 0, pskIndex, 0);
        _pausedAtToken = pskIndex;
        _pausedLength = message.Length;
    }

    /// <summary>
    /// The second half of a two-phase ReadMessage: the psk token (MixKeyAndHash, §9.2), the tokens
    /// after it and the payload. <paramref name="message"/> is the one given to <see cref="ReadMessageUntilPsk"/>.
    /// Returns the payload length.
    /// </summary>
    /// <exception cref="InvalidOperationException">No message is waiting at its psk token, or the psk was not set.</exception>
    /// <exception cref="ProtocolViolationException">As <see cref="ReadMessage"/>.</exception>
    /// <exception cref="IntegrityException">As <see cref="ReadMessage"/>.</exception>
    public int ReadMessageAfterPsk(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (_pausedAtToken < 0 || message.Length != _pausedLength)
        {
            throw new InvalidOperationException("No handshake message is waiting at its psk token (call ReadMessageUntilPsk with this message first).");
        }

        int first = _pausedAtToken;
        _pausedAtToken = -1;
        Token[] tokens = _pattern.Messages[_messageIndex];
        int pos = ReadTokens(message, tokens, first, tokens.Length, _pausedPosition);
        return ReadPayload(message, pos, payload);
    }

    private void BeginRead(ReadOnlySpan<byte> message)
    {
        if (IsComplete || IsMyTurn || _pausedAtToken >= 0)
        {
            throw new InvalidOperationException("It is not this side's turn to read a handshake message.");
        }

        if (message.Length > MaxMessageLength)
        {
            throw new ProtocolViolationException("A handshake message is longer than 65535 bytes.");
        }
    }

    /// <summary>The tokens [first, end) of one message pattern, from byte <paramref name="pos"/>; returns the position after them.</summary>
    private int ReadTokens(ReadOnlySpan<byte> message, Token[] tokens, int first, int end, int pos)
    {
        for (int i = first; i < end; i++)
        {
            switch (tokens[i])
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
                    pos += ReadStatic(message, pos);
                    break;
                case Token.Psk:
                    MixPsk();
                    break;
                default:
                    MixDh(tokens[i]);
                    break;
            }
        }

        return pos;
    }

    private int ReadStatic(ReadOnlySpan<byte> message, int pos)
    {
        int length = _symmetric.EncryptedLength(P256PublicKey.Size);
        RequireBytes(message, pos, length);
        Span<byte> rs = stackalloc byte[P256PublicKey.Size];
        if (_symmetric.DecryptAndHash(message.Slice(pos, length), rs) < 0)
        {
            throw new IntegrityException("The peer's static key failed authentication during the handshake.");
        }

        _rs = ParsePublicKey(rs, "static");
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
