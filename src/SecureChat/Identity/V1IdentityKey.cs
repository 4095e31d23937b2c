using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;

namespace SecureChat.Identity;

/// <summary>
/// Reads a v1 identity (a P-256 private key in PEM form, as SecureChat v1 wrote identity.key) as an
/// ECDSA key, for the v1→v2 cross-signature (docs/PROTOCOL.md §5). The file's bytes only pass
/// through pinned buffers that are wiped after use; the key then lives inside OpenSSL.
/// </summary>
internal static class V1IdentityKey
{
    private const int MaxFileSize = 4096;

    /// <summary>Loads the P-256 key from <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not a P-256 private key in PEM form.</exception>
    public static ECDsa Load(string path)
    {
        using SecretBuffer bytes = KeyFile.Read(path, MaxFileSize, "a v1 identity", out int total);
        char[] chars = GC.AllocateArray<char>(Math.Max(1, total), pinned: true);
        ECDsa? key = ECDsa.Create();
        try
        {
            int count = Encoding.ASCII.GetChars(bytes.Span[..total], chars);
            key.ImportFromPem(chars.AsSpan(0, count));
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new InvalidDataException($"The key file {path} holds a key that is not on P-256.");
            }

            ECDsa result = key;
            key = null;
            return result;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidDataException($"The key file {path} is not a P-256 private key in PEM form.", e);
        }
        finally
        {
            key?.Dispose();
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars.AsSpan()));
        }
    }
}
