using System.Security.Cryptography;

namespace SecureChat.Identity;

/// <summary>
/// Identity fingerprints (docs/PROTOCOL.md §5): "SHA256:" followed by the unpadded base64 of
/// SHA-256 over the 65-byte uncompressed public key — the format OpenSSH users know.
/// </summary>
public static class Fingerprint
{
    /// <summary>The prefix of every fingerprint.</summary>
    public const string Prefix = "SHA256:";

    /// <summary>Computes the fingerprint of a 65-byte uncompressed P-256 public key.</summary>
    /// <exception cref="ArgumentException">The key is not 65 bytes.</exception>
    public static string Of(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != 65)
        {
            throw new ArgumentException("A P-256 public key is 65 bytes (uncompressed SEC1).", nameof(publicKey));
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(publicKey, digest);
        return Prefix + Convert.ToBase64String(digest).TrimEnd('=');
    }

    /// <summary>True when <paramref name="text"/> has the shape of a fingerprint (prefix and 43 base64 characters).</summary>
    public static bool IsWellFormed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length != Prefix.Length + 43)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[33];
        return Convert.TryFromBase64String(text[Prefix.Length..] + "=", digest, out int written) && written == 32;
    }
}
