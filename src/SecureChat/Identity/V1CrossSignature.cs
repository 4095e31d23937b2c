using System.Security.Cryptography;

namespace SecureChat.Identity;

/// <summary>
/// The cross-signature that carries a v1 pin over to a v2 identity (issue 12 §7): while an
/// <c>identity.p256.key</c> exists, the msg2/msg3 JSON carries "v1_key" (base64 of the 65-byte
/// uncompressed P-256 public key) and "v1_sig" (base64 of an ECDSA P-256/SHA-256 signature in IEEE
/// P1363 form r ‖ s, 64 bytes) over UTF-8 "SecureChat v1->v2" ‖ h ‖ the sender's new 32-byte X25519
/// static public key, where h is the 32-byte handshake hash the payload is encrypted under (its AD),
/// which binds the signature to this handshake. <see cref="Verify"/> reads peer input: it never
/// throws, whatever the strings hold.
/// </summary>
internal static class V1CrossSignature
{
    /// <summary>The size of h (SHA-256).</summary>
    public const int HandshakeHashSize = 32;

    /// <summary>The size of the new X25519 static public key.</summary>
    public const int NewKeySize = 32;

    /// <summary>The uncompressed P-256 public key (SEC 1 §2.3.3).</summary>
    public const int V1KeySize = 65;

    /// <summary>r ‖ s, 32 bytes each (IEEE P1363).</summary>
    public const int SignatureSize = 64;

    // Base64 of 65 bytes is 88 characters, of 64 bytes 88: anything longer is refused before decoding.
    private const int MaxBase64Length = 88;

    /// <summary>The context string that starts every signed message.</summary>
    public static ReadOnlySpan<byte> Context => "SecureChat v1->v2"u8;

    /// <summary>Signs the new static key with the v1 identity key.</summary>
    /// <param name="v1Key">The v1 P-256 identity (from <c>IdentityStore.LoadV1Key</c>).</param>
    /// <param name="h">The handshake hash the payload will be encrypted under (32 bytes).</param>
    /// <param name="newStaticPublicKey32">This side's new X25519 static public key.</param>
    /// <returns>The "v1_key" and "v1_sig" values (standard base64 with padding).</returns>
    /// <exception cref="ArgumentException">The key is not P-256, or h or the new key is not 32 bytes.</exception>
    public static (string V1KeyBase64, string V1SigBase64) Create(ECDsa v1Key, ReadOnlySpan<byte> h, ReadOnlySpan<byte> newStaticPublicKey32)
    {
        ArgumentNullException.ThrowIfNull(v1Key);
        if (h.Length != HandshakeHashSize)
        {
            throw new ArgumentException($"h is {HandshakeHashSize} bytes.", nameof(h));
        }

        if (newStaticPublicKey32.Length != NewKeySize)
        {
            throw new ArgumentException($"The new static public key is {NewKeySize} bytes.", nameof(newStaticPublicKey32));
        }

        ECParameters parameters = v1Key.ExportParameters(includePrivateParameters: false);
        if (v1Key.KeySize != 256 || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value
            || parameters.Q.X is not { Length: 32 } || parameters.Q.Y is not { Length: 32 })
        {
            throw new ArgumentException("The v1 identity key is not a P-256 key.", nameof(v1Key));
        }

        byte[] publicKey = new byte[V1KeySize];
        publicKey[0] = 0x04;
        parameters.Q.X.CopyTo(publicKey, 1);
        parameters.Q.Y.CopyTo(publicKey, 33);

        Span<byte> message = stackalloc byte[Context.Length + HandshakeHashSize + NewKeySize];
        WriteMessage(h, newStaticPublicKey32, message);
        byte[] signature = v1Key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return (Convert.ToBase64String(publicKey), Convert.ToBase64String(signature));
    }

    /// <summary>
    /// Checks a peer's cross-signature. False for anything but a valid signature by a valid P-256
    /// key: bad or non-canonical base64, wrong lengths, a point not on the curve, a wrong h or key.
    /// </summary>
    /// <param name="v1KeyBase64">The peer's "v1_key".</param>
    /// <param name="v1SigBase64">The peer's "v1_sig".</param>
    /// <param name="h">The handshake hash the payload was decrypted under.</param>
    /// <param name="newStaticPublicKey32">The peer's X25519 static public key from this handshake.</param>
    /// <param name="v1PublicKey65">The verified v1 public key (to compare with a v1 pin); empty when false.</param>
    public static bool Verify(string? v1KeyBase64, string? v1SigBase64, ReadOnlySpan<byte> h, ReadOnlySpan<byte> newStaticPublicKey32, out byte[] v1PublicKey65)
    {
        v1PublicKey65 = [];
        if (h.Length != HandshakeHashSize || newStaticPublicKey32.Length != NewKeySize)
        {
            return false;
        }

        byte[] publicKey = new byte[V1KeySize];
        Span<byte> signature = stackalloc byte[SignatureSize];
        if (!TryDecodeCanonical(v1KeyBase64, publicKey) || publicKey[0] != 0x04 || !TryDecodeCanonical(v1SigBase64, signature))
        {
            return false;
        }

        Span<byte> message = stackalloc byte[Context.Length + HandshakeHashSize + NewKeySize];
        WriteMessage(h, newStaticPublicKey32, message);
        try
        {
            // ImportParameters has OpenSSL check that the point is on the curve (it throws otherwise).
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = publicKey[1..33], Y = publicKey[33..] },
            });
            if (!key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }

        v1PublicKey65 = publicKey;
        return true;
    }

    private static void WriteMessage(ReadOnlySpan<byte> h, ReadOnlySpan<byte> newKey, Span<byte> message)
    {
        Context.CopyTo(message);
        h.CopyTo(message[Context.Length..]);
        newKey.CopyTo(message[(Context.Length + HandshakeHashSize)..]);
    }

    /// <summary>Decodes exactly <paramref name="destination"/>.Length bytes from canonical padded base64 (what <see cref="Create"/> writes).</summary>
    private static bool TryDecodeCanonical(string? text, Span<byte> destination)
    {
        if (text is null || text.Length > MaxBase64Length)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[MaxBase64Length];
        if (!Convert.TryFromBase64String(text, decoded, out int written) || written != destination.Length)
        {
            return false;
        }

        // Convert accepts white space and non-zero padding bits; one value, one spelling.
        Span<char> again = stackalloc char[MaxBase64Length];
        if (!Convert.TryToBase64Chars(decoded[..written], again, out int chars) || !again[..chars].SequenceEqual(text))
        {
            return false;
        }

        decoded[..written].CopyTo(destination);
        return true;
    }
}
