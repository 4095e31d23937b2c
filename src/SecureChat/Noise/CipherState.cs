using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;

namespace SecureChat.Noise;

/// <summary>
/// CipherState of Noise §5.1: a 32-byte key k (owned, pinned, erased on dispose), a flag for
/// "k is empty", and a 64-bit nonce n. Cipher functions AESGCM of §12.3. The nonce 2^64-1 is
/// reserved for Rekey(), so n may never reach it (§5.1: "signal an error").
/// k is set up for AES-GCM once and that setup serves every call until k changes, so a transport
/// message and the Rekey() that follows it (same k) cost one key setup: on the libsodium path
/// (<see cref="Aes256Gcm.UsesSodium"/>) an <see cref="Aes256GcmState"/> (k expanded, wiped as soon
/// as k is replaced), on the .NET fallback path an <see cref="AesGcm"/>.
/// </summary>
internal sealed class CipherState : IDisposable
{
    private readonly SecretBuffer _k;
    private readonly SecretRegistry? _registry;
    private readonly KeyLog? _keyLog;
    private readonly string _keyLogLabel;
    private bool _hasKey;
    private ulong _n;

    /// <summary>
    /// The libsodium path only: k expanded (made on first use, then reused; expanded on the first
    /// call after k changes and wiped as soon as k changes, so between transport messages it holds
    /// nothing). Never made on the .NET path.
    /// </summary>
    private Aes256GcmState? _expanded;

    /// <summary>
    /// The .NET fallback path only: k set up for AES-GCM, made on first use and dropped whenever k
    /// changes. Disposing it frees OpenSSL's copy of k. Never made on the libsodium path.
    /// </summary>
    private AesGcm? _aead;

    private Aes256GcmState Expanded
    {
        get
        {
            Aes256GcmState state = _expanded ??= new Aes256GcmState(_registry);
            if (!state.HasKey)
            {
                state.Expand(_k.Span);
            }

            return state;
        }
    }

    private AesGcm Aead => _aead ??= new AesGcm(_k.Span, Aes256Gcm.TagSize);

    /// <summary>k is about to change or go: wipes its libsodium expansion and frees its AesGcm.</summary>
    private void ForgetKeySetup()
    {
        _expanded?.Clear();
        _aead?.Dispose();
        _aead = null;
    }

    public CipherState(SecretRegistry? registry, KeyLog? keyLog, string keyLogLabel)
    {
        _k = new SecretBuffer(Aes256Gcm.KeySize, registry);
        _registry = registry;
        _keyLog = keyLog;
        _keyLogLabel = keyLogLabel;
    }

    /// <summary>HasKey() of §5.1.</summary>
    public bool HasKey => _hasKey;

    /// <summary>The nonce n, for tests and diagnostics.</summary>
    public ulong Nonce => _n;

    /// <summary>InitializeKey(key) of §5.1: k = key, n = 0.</summary>
    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        ForgetKeySetup();
        key.CopyTo(_k.Span);
        _hasKey = true;
        _n = 0;
        _keyLog?.Write(_keyLogLabel, _k.Span);
    }

    /// <summary>Empties the key (InitializeKey(empty)), erasing the old one.</summary>
    public void ClearKey()
    {
        ForgetKeySetup();
        _k.Clear();
        _hasKey = false;
        _n = 0;
    }

    /// <summary>
    /// EncryptWithAd(ad, plaintext) of §5.1. Writes plaintext.Length (+16 when there is a key) bytes
    /// to <paramref name="destination"/> and returns how many. In-place operation is allowed.
    /// </summary>
    public int EncryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (!_hasKey)
        {
            plaintext.CopyTo(destination);
            return plaintext.Length;
        }

        ThrowIfNonceExhausted();
        int length = plaintext.Length + Aes256Gcm.TagSize;
        if (Aes256Gcm.UsesSodium)
        {
            Aes256Gcm.Encrypt(Expanded, _n, ad, plaintext, destination[..length]);
        }
        else
        {
            Aes256Gcm.Encrypt(Aead, _n, ad, plaintext, destination[..length]);
        }

        _n++;
        return length;
    }

    /// <summary>
    /// DecryptWithAd(ad, ciphertext) of §5.1. Returns the plaintext length, or -1 when authentication
    /// fails (n is then left unchanged, as §5.1 requires, and the destination wiped).
    /// </summary>
    public int DecryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (!_hasKey)
        {
            ciphertext.CopyTo(destination);
            return ciphertext.Length;
        }

        if (ciphertext.Length < Aes256Gcm.TagSize)
        {
            return -1;
        }

        ThrowIfNonceExhausted();
        int length = ciphertext.Length - Aes256Gcm.TagSize;
        bool opened = Aes256Gcm.UsesSodium
            ? Aes256Gcm.TryDecrypt(Expanded, _n, ad, ciphertext, destination[..length])
            : Aes256Gcm.TryDecrypt(Aead, _n, ad, ciphertext, destination[..length]);
        if (!opened)
        {
            return -1;
        }

        _n++;
        return length;
    }

    /// <summary>
    /// Rekey() of §5.1 / §11.3: k = REKEY(k); n is unchanged. REKEY runs on k's current setup (the
    /// one the message before it used; neither kind reads k again once made), the new key is
    /// written over the old one in place, and the old key's setup is wiped at once.
    /// </summary>
    public void Rekey()
    {
        if (Aes256Gcm.UsesSodium)
        {
            Aes256Gcm.Rekey(Expanded, _k.Span);
        }
        else
        {
            Aes256Gcm.Rekey(Aead, _k.Span);
        }

        ForgetKeySetup();
        _keyLog?.Write(_keyLogLabel, _k.Span);
    }

    private void ThrowIfNonceExhausted()
    {
        if (_n == ulong.MaxValue)
        {
            throw new CryptographicException("The Noise nonce space is exhausted (Noise §5.1).");
        }
    }

    public void Dispose()
    {
        _aead?.Dispose();
        _aead = null;
        _expanded?.Dispose();
        _k.Dispose();
        _hasKey = false;
    }
}
