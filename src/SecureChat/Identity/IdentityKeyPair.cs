using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;

namespace SecureChat.Identity;

/// <summary>
/// A static P-256 identity key pair (the Noise "s"). The private key lives inside OpenSSL and is
/// cleared when this object is disposed. On disk it is an unencrypted PKCS#8 PEM file
/// ("-----BEGIN PRIVATE KEY-----", readable by openssl) created with mode 0600; its bytes only pass
/// through pinned buffers that are wiped after use.
/// </summary>
public sealed class IdentityKeyPair : IDisposable
{
    private const string PemLabel = "PRIVATE KEY";
    private const int MaxFileSize = 4096;

    private IdentityKeyPair(P256KeyPair keyPair)
    {
        KeyPair = keyPair;
        PublicKey = keyPair.PublicKey.ToArray();
        Fingerprint = Identity.Fingerprint.Of(PublicKey.Span);
    }

    /// <summary>The 65-byte uncompressed public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The fingerprint, "SHA256:" and 43 base64 characters.</summary>
    public string Fingerprint { get; }

    internal P256KeyPair KeyPair { get; }

    /// <summary>Creates a fresh random identity.</summary>
    public static IdentityKeyPair Generate() => new(P256KeyPair.Generate());

    internal static IdentityKeyPair FromPrivateScalar(ReadOnlySpan<byte> scalar) => new(P256KeyPair.FromPrivateScalar(scalar));

    /// <summary>
    /// Writes the private key to a new file readable only by its owner (mode 0600 on Unix).
    /// Never overwrites: an existing file is an error.
    /// </summary>
    /// <exception cref="IOException">The file exists or cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var der = new SecretBuffer(512);
        if (!KeyPair.Key.TryExportPkcs8PrivateKey(der.Span, out int derLength))
        {
            throw new CryptographicException("The private key did not fit the export buffer.");
        }

        int charCount = PemEncoding.GetEncodedSize(PemLabel.Length, derLength);
        char[] pem = GC.AllocateArray<char>(charCount + 1, pinned: true);
        using var bytes = new SecretBuffer(charCount + 1);
        try
        {
            if (!PemEncoding.TryWrite(PemLabel, der.Span[..derLength], pem, out int written))
            {
                throw new CryptographicException("PEM encoding failed.");
            }

            pem[written] = '\n';
            int byteCount = Encoding.ASCII.GetBytes(pem.AsSpan(0, written + 1), bytes.Span);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var file = new FileStream(path, options);
            file.Write(bytes.Span[..byteCount]);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshalBytes(pem));
        }
    }

    /// <summary>Reads an identity written by <see cref="Save"/> (any PKCS#8 or SEC1 PEM P-256 key).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not a P-256 private key in PEM form.</exception>
    public static IdentityKeyPair Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        if (file.Length > MaxFileSize)
        {
            throw new InvalidDataException($"The identity file {path} is larger than {MaxFileSize} bytes: it is not a key written by securechat.");
        }

        using var bytes = new SecretBuffer((int)Math.Max(1, file.Length));
        int total = 0;
        while (total < bytes.Length)
        {
            int read = file.Read(bytes.Span[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        char[] chars = GC.AllocateArray<char>(Math.Max(1, total), pinned: true);
        ECDiffieHellman? key = null;
        try
        {
            int charCount = Encoding.ASCII.GetChars(bytes.Span[..total], chars);
            key = ECDiffieHellman.Create();
            key.ImportFromPem(chars.AsSpan(0, charCount));
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new InvalidDataException($"The identity file {path} holds a key that is not on P-256.");
            }

            var identity = new IdentityKeyPair(P256KeyPair.Adopt(key));
            key = null;
            return identity;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidDataException($"The identity file {path} is not a P-256 private key in PEM form.", e);
        }
        finally
        {
            key?.Dispose();
            CryptographicOperations.ZeroMemory(MemoryMarshalBytes(chars));
        }
    }

    private static Span<byte> MemoryMarshalBytes(char[] chars) =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars.AsSpan());

    /// <summary>Frees the private key (OpenSSL clears it).</summary>
    public void Dispose() => KeyPair.Dispose();
}
