using System.Security.Cryptography;

namespace SecureChat.Session;

/// <summary>
/// The commitment of docs/PROTOCOL.md §3: commit = SHA-256("SecureChat/2 SAS commit" ‖ n_i), sent
/// in message 1; n_i itself is revealed in message 3 and checked by the responder.
/// </summary>
internal static class SasCommitment
{
    public const int NonceLength = 16;
    public const int Length = 32;

    private static ReadOnlySpan<byte> Label => "SecureChat/2 SAS commit"u8;

    /// <summary>Writes SHA-256(label ‖ nonce) to <paramref name="commitment"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> nonce, Span<byte> commitment)
    {
        if (nonce.Length != NonceLength || commitment.Length != Length)
        {
            throw new ArgumentException("The nonce is 16 bytes and the commitment 32.");
        }

        Span<byte> input = stackalloc byte[23 + NonceLength];
        Label.CopyTo(input);
        nonce.CopyTo(input[23..]);
        SHA256.HashData(input, commitment);
    }

    /// <summary>True when <paramref name="nonce"/> opens <paramref name="commitment"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> commitment, ReadOnlySpan<byte> nonce)
    {
        Span<byte> expected = stackalloc byte[Length];
        Compute(nonce, expected);
        return CryptographicOperations.FixedTimeEquals(expected, commitment);
    }
}
