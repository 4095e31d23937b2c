using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;

namespace SecureChat.Noise;

/// <summary>
/// SymmetricState of Noise §5.2 with HASH = SHA-256 (HASHLEN 32): the chaining key ck (secret,
/// pinned), the handshake hash h (public transcript hash), and a CipherState for handshake payloads.
/// </summary>
internal sealed class SymmetricState : IDisposable
{
    public const int HashLen = 32;
    private readonly SecretBuffer _ck;
    private readonly byte[] _h = new byte[HashLen];
    private readonly CipherState _cipher;
    private readonly SecretRegistry? _registry;
    private readonly KeyLog? _keyLog;

    /// <summary>
    /// Up to this many bytes MixHash hashes with libsodium (portable C, about a microsecond a block,
    /// no context to set up); above it with <see cref="_hash"/> (OpenSSL with the SHA extensions,
    /// but a few microseconds of OpenSSL 3.0 set-up per call), as measured on the project machine.
    /// </summary>
    private const int SmallMixHash = 128;

    /// <summary>
    /// One OpenSSL SHA-256 context for the large MixHash calls of the handshake (the KEM public key
    /// and ciphertext), reset by each GetHashAndReset instead of made anew per call. It only ever
    /// hashes h and public message bytes.
    /// </summary>
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>InitializeSymmetric(protocol_name) of §5.2.</summary>
    public SymmetricState(string protocolName, SecretRegistry? registry, KeyLog? keyLog)
    {
        _registry = registry;
        _keyLog = keyLog;
        _ck = new SecretBuffer(HashLen, registry);
        _cipher = new CipherState(registry, keyLog, KeyLogLabels.HandshakeKey);

        byte[] name = Encoding.ASCII.GetBytes(protocolName);
        if (name.Length <= HashLen)
        {
            // "If protocol_name is less than or equal to HASHLEN bytes in length, sets h equal to
            // protocol_name with zero bytes appended to make HASHLEN bytes."
            name.CopyTo(_h, 0);
        }
        else
        {
            SHA256.HashData(name, _h);
        }

        _h.CopyTo(_ck.Span);
    }

    /// <summary>h, the handshake hash.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _h;

    public bool HasKey => _cipher.HasKey;

    /// <summary>MixKey(input_key_material) of §5.2.</summary>
    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[2 * HashLen];
        try
        {
            NoiseHkdf.Derive(_ck.Span, inputKeyMaterial, output);
            output[..HashLen].CopyTo(_ck.Span);
            _keyLog?.Write(KeyLogLabels.ChainingKey, _ck.Span);
            _cipher.InitializeKey(output[HashLen..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>MixHash(data) of §5.2: h = HASH(h ‖ data).</summary>
    public void MixHash(ReadOnlySpan<byte> data)
    {
        if (data.Length <= SmallMixHash)
        {
            Crypto.Sodium.Sodium.Sha256(_h, data, _h);
            return;
        }

        _hash.AppendData(_h);
        _hash.AppendData(data);
        _hash.GetHashAndReset(_h);
    }

    /// <summary>MixKeyAndHash(input_key_material) of §5.2, used by the psk token (§9.2).</summary>
    public void MixKeyAndHash(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[3 * HashLen];
        try
        {
            NoiseHkdf.Derive(_ck.Span, inputKeyMaterial, output);
            output[..HashLen].CopyTo(_ck.Span);
            _keyLog?.Write(KeyLogLabels.ChainingKey, _ck.Span);
            MixHash(output[HashLen..(2 * HashLen)]);
            _cipher.InitializeKey(output[(2 * HashLen)..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>EncryptAndHash(plaintext) of §5.2. Returns the bytes written to <paramref name="destination"/>.</summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int written = _cipher.EncryptWithAd(_h, plaintext, destination);
        MixHash(destination[..written]);
        return written;
    }

    /// <summary>DecryptAndHash(ciphertext) of §5.2. Returns the plaintext length, or -1 on authentication failure.</summary>
    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        int written = _cipher.DecryptWithAd(_h, ciphertext, destination);
        if (written >= 0)
        {
            MixHash(ciphertext);
        }

        return written;
    }

    /// <summary>The ciphertext length EncryptAndHash will produce for a plaintext of this length.</summary>
    public int EncryptedLength(int plaintextLength) => plaintextLength + (HasKey ? Aes256Gcm.TagSize : 0);

    /// <summary>
    /// Split() of §5.2: two CipherStates from HKDF(ck, empty, 2). The first is the initiator's
    /// sending state. The caller owns both.
    /// </summary>
    public (CipherState First, CipherState Second) Split()
    {
        Span<byte> output = stackalloc byte[2 * HashLen];
        var first = new CipherState(_registry, _keyLog, KeyLogLabels.TransportInitiatorToResponder);
        var second = new CipherState(_registry, _keyLog, KeyLogLabels.TransportResponderToInitiator);
        try
        {
            NoiseHkdf.Derive(_ck.Span, [], output);
            first.InitializeKey(output[..HashLen]);
            second.InitializeKey(output[HashLen..]);
            return (first, second);
        }
        catch
        {
            first.Dispose();
            second.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>Erases ck and the handshake cipher key. h is a public transcript hash and is kept.</summary>
    public void Dispose()
    {
        _ck.Dispose();
        _cipher.Dispose();
        _hash.Dispose();
    }
}
