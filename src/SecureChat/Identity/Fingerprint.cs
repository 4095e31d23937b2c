using System.Security.Cryptography;

namespace SecureChat.Identity;

/// <summary>
/// Identity fingerprints (docs/PROTOCOL.md §5, issue 12 §7): "SHA256:" followed by the unpadded
/// base64 of SHA-256 over the public key as it travels — the 65-byte uncompressed P-256 key of v1 or
/// the 32-byte X25519 key of v2 — the format OpenSSH users know. The two lengths never collide.
/// </summary>
public static class Fingerprint
{
    /// <summary>The prefix of every fingerprint.</summary>
    public const string Prefix = "SHA256:";

    /// <summary>Computes the fingerprint of a 65-byte uncompressed P-256 or a 32-byte X25519 public key.</summary>
    /// <exception cref="ArgumentException">The key is neither 65 nor 32 bytes.</exception>
    public static string Of(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length is not (65 or 32))
        {
            throw new ArgumentException("A public key is 65 bytes (P-256, uncompressed SEC1) or 32 bytes (X25519).", nameof(publicKey));
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
