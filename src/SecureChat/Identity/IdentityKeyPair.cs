using System.Security.Cryptography;
using SecureChat.Crypto;

namespace SecureChat.Identity;

/// <summary>
/// A static X25519 identity key pair (the Noise "s", docs/PROTOCOL.md §5). The private key lives in
/// a pinned buffer that is wiped when this object is disposed. On disk it is an unencrypted PKCS#8
/// PEM file ("-----BEGIN PRIVATE KEY-----", OID 1.3.101.110, readable by <c>openssl pkey</c>) created
/// with mode 0600; its bytes only pass through pinned buffers that are wiped after use.
/// </summary>
public sealed class IdentityKeyPair : IDisposable
{
    /// <summary>The key type, as <c>securechat id</c> and known_peers name it.</summary>
    public const string X25519KeyType = "x25519";

    private IdentityKeyPair(X25519KeyPair keyPair)
    {
        KeyPair = keyPair;
        PublicKey = keyPair.PublicKey.ToArray();
        Fingerprint = Identity.Fingerprint.Of(PublicKey.Span);
    }

    /// <summary>The 32-byte X25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The fingerprint, "SHA256:" and 43 base64 characters.</summary>
    public string Fingerprint { get; }

    /// <summary>The key type: "x25519".</summary>
    public string KeyType { get; } = X25519KeyType;

    internal X25519KeyPair KeyPair { get; }

    /// <summary>Creates a fresh random identity.</summary>
    public static IdentityKeyPair Generate() => new(X25519KeyPair.Generate());

    /// <summary>An identity from a fixed 32-byte private key (tests and vectors).</summary>
    internal static IdentityKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey) => new(X25519KeyPair.FromPrivateKey(privateKey));

    /// <summary>
    /// Writes the private key to a new file readable only by its owner (mode 0600 on Unix).
    /// Never overwrites: an existing file is an error.
    /// </summary>
    /// <exception cref="IOException">The file exists or cannot be written.</exception>
    public void Save(string path) => X25519PrivateKeyPem.Save(path, KeyPair.PrivateKey);

    /// <summary>Reads an identity written by <see cref="Save"/> or by <c>openssl genpkey -algorithm X25519</c>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not an X25519 private key in PKCS#8 PEM form.</exception>
    public static IdentityKeyPair Load(string path)
    {
        Span<byte> key = stackalloc byte[X25519KeyPair.KeySize];
        try
        {
            X25519PrivateKeyPem.Load(path, key);
            return new IdentityKeyPair(X25519KeyPair.FromPrivateKey(key));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Wipes the private key.</summary>
    public void Dispose() => KeyPair.Dispose();
}
