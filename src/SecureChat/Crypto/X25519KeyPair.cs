using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// An X25519 key pair (RFC 7748; Noise §12.1 DH functions for "25519": DHLEN = 32). The 32-byte
/// private key lives in a pinned <see cref="SecretBuffer"/>, optionally tracked by a
/// <see cref="SecretRegistry"/>, and is erased by <see cref="Dispose"/>. The scalar clamping of
/// RFC 7748 §5 is done by libsodium on every use, so the stored bytes are the key as generated or
/// imported. The DH itself is libsodium's <c>crypto_scalarmult_curve25519</c>.
/// </summary>
internal sealed class X25519KeyPair : IDisposable
{
    public const int KeySize = 32;
    private readonly SecretBuffer _private;
    private readonly byte[] _public = new byte[KeySize];

    private X25519KeyPair(SecretRegistry? registry)
    {
        _private = new SecretBuffer(KeySize, registry);
    }

    /// <summary>The 32-byte public key X25519(private, 9).</summary>
    public ReadOnlySpan<byte> PublicKey => _public;

    /// <summary>The 32-byte private key, for code inside the library that stores or exports it (identity files).</summary>
    internal ReadOnlySpan<byte> PrivateKey => _private.Span;

    public bool IsDisposed => _private.IsDisposed;

    /// <summary>A fresh key pair: 32 bytes from the system CSPRNG.</summary>
    public static X25519KeyPair Generate(SecretRegistry? registry = null)
    {
        var pair = new X25519KeyPair(registry);
        try
        {
            RandomNumberGenerator.Fill(pair._private.Span);
            pair.DerivePublicKey();
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>A key pair from a stored 32-byte private key (identity file, test vector). The bytes are copied.</summary>
    /// <exception cref="ArgumentException"><paramref name="key32"/> is not 32 bytes.</exception>
    public static X25519KeyPair FromPrivateKey(ReadOnlySpan<byte> key32, SecretRegistry? registry = null)
    {
        if (key32.Length != KeySize)
        {
            throw new ArgumentException("An X25519 private key is 32 bytes.", nameof(key32));
        }

        var pair = new X25519KeyPair(registry);
        try
        {
            key32.CopyTo(pair._private.Span);
            pair.DerivePublicKey();
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Tests only: a key pair whose public key is another encoding than X25519(private, 9) gives,
    /// e.g. with bit 255 set, to play a peer that sends a non-canonical static key.
    /// </summary>
    internal static X25519KeyPair WithPublicKeyEncodingForTests(ReadOnlySpan<byte> key32, ReadOnlySpan<byte> publicKeyEncoding)
    {
        X25519KeyPair pair = FromPrivateKey(key32);
        publicKeyEncoding.CopyTo(pair._public);
        return pair;
    }

    /// <summary>
    /// DH(key pair, public key) of Noise §4.1: X25519(private, peer) into <paramref name="shared32"/>.
    /// </summary>
    /// <exception cref="ProtocolViolationException">
    /// The peer key is not canonical (<see cref="X25519PublicKey.IsCanonical"/>), or the result is
    /// all zero (a low-order point; RFC 7748 §6.1 lets a protocol abort then, and Noise-based
    /// protocols must: the shared secret would be known to anyone).
    /// </exception>
    public void Agree(ReadOnlySpan<byte> peerPublicKey, Span<byte> shared32)
    {
        if (shared32.Length != KeySize)
        {
            throw new ArgumentException("X25519 output is 32 bytes.", nameof(shared32));
        }

        if (!X25519PublicKey.IsCanonical(peerPublicKey))
        {
            throw new ProtocolViolationException("The peer's X25519 public key is not canonical (bit 255 set or u >= 2^255-19).");
        }

        if (!Sodium.Sodium.X25519(_private.Span, peerPublicKey, shared32))
        {
            throw new ProtocolViolationException("The peer's X25519 public key is a low-order point (all-zero shared secret).");
        }
    }

    private void DerivePublicKey() => Sodium.Sodium.X25519Base(_private.Span, _public);

    public void Dispose() => _private.Dispose();
}
