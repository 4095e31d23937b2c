using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// A P-256 key pair for ECDH. The private scalar lives inside OpenSSL (an EVP_PKEY), which clears
/// it when the key is freed; <see cref="Dispose"/> frees it. DH() as Noise §4.1 needs it: the
/// 32-byte big-endian X coordinate of the shared point.
/// </summary>
internal sealed class P256KeyPair : IDisposable
{
    public const int DhLength = 32;
    private readonly ECDiffieHellman _key;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private P256KeyPair(ECDiffieHellman key)
    {
        _key = key;
        _publicKey = P256PublicKey.Encode(key);
    }

    /// <summary>The 65-byte uncompressed public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public bool IsDisposed => _disposed;

    public static P256KeyPair Generate() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A key pair from a fixed private scalar: test vectors only (Noise needs no other use).</summary>
    internal static P256KeyPair FromPrivateScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != 32)
        {
            throw new ArgumentException("A P-256 private scalar is 32 bytes.", nameof(scalar));
        }

        var d = scalar.ToArray();
        try
        {
            var key = ECDiffieHellman.Create();
            key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            return new P256KeyPair(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>Wraps an already loaded key (an identity read from disk). Takes ownership.</summary>
    internal static P256KeyPair Adopt(ECDiffieHellman key) => new(key);

    internal ECDiffieHellman Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>DH(key pair, public key) of Noise §4.1 / §12.1, written to <paramref name="destination"/> (32 bytes).</summary>
    public void DeriveSharedSecret(P256PublicKey peer, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != DhLength)
        {
            throw new ArgumentException("DH output is 32 bytes.", nameof(destination));
        }

        // The BCL returns a fresh managed array; it is copied out and wiped at once.
        byte[] raw = _key.DeriveRawSecretAgreement(peer.Handle);
        try
        {
            raw.CopyTo(destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _key.Dispose();
        }
    }
}
