namespace SecureChat.Crypto;

/// <summary>
/// Checks on X25519 public keys (RFC 7748 §5): 32 bytes, the little-endian u-coordinate. SecureChat
/// accepts only canonical encodings: bit 255 clear and u &lt; p = 2^255 − 19. RFC 7748 tells a
/// receiver to mask bit 255 and reduce u mod p, which makes several encodings of one key; refusing
/// them keeps each key one byte string (fingerprints, pins, the reflection check) and costs nothing,
/// since honest implementations never send them. Public keys are public: no constant time needed.
/// </summary>
internal static class X25519PublicKey
{
    public const int Size = 32;

    /// <summary>True when <paramref name="key"/> is 32 bytes, bit 255 is clear and u &lt; 2^255 − 19.</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size || (key[31] & 0x80) != 0)
        {
            return false;
        }

        // With bit 255 clear, u >= p = 2^255 - 19 only for u in [p, 2^255 - 1]: bytes 1..30 all 0xFF,
        // byte 31 = 0x7F and byte 0 >= 0xED (p's low byte).
        if (key[31] != 0x7F || key[0] < 0xED)
        {
            return true;
        }

        return key[1..31].ContainsAnyExcept((byte)0xFF);
    }
}
