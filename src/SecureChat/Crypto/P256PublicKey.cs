using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// A validated NIST P-256 public key. On the wire it is the 65-byte uncompressed SEC1 point
/// 0x04 ‖ X ‖ Y (SEC 1 v2 §2.3.3). Parsing rejects every other length and form (compressed points,
/// the point at infinity) and, through OpenSSL, any point that is not on the curve.
/// </summary>
internal sealed class P256PublicKey : IDisposable
{
    public const int Size = 65;
    private readonly ECDiffieHellman _key;
    private readonly byte[] _encoded;

    private P256PublicKey(ECDiffieHellman key, byte[] encoded)
    {
        _key = key;
        _encoded = encoded;
    }

    /// <summary>The 65-byte uncompressed encoding.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    internal ECDiffieHellmanPublicKey Handle => _key.PublicKey;

    /// <summary>Parses and validates an uncompressed point; false for anything that is not a point of P-256.</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out P256PublicKey? key)
    {
        key = null;
        if (encoded.Length != Size || encoded[0] != 0x04)
        {
            return false;
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = encoded[1..33].ToArray(), Y = encoded[33..65].ToArray() },
        };
        var ecdh = ECDiffieHellman.Create();
        try
        {
            // ImportParameters makes OpenSSL check that the point lies on the curve
            // (coordinates below p, curve equation holds, not infinity).
            ecdh.ImportParameters(parameters);
        }
        catch (CryptographicException)
        {
            ecdh.Dispose();
            return false;
        }

        key = new P256PublicKey(ecdh, encoded.ToArray());
        return true;
    }

    /// <summary>Encodes a key pair's public point as 0x04 ‖ X ‖ Y.</summary>
    internal static byte[] Encode(ECDiffieHellman key)
    {
        ECParameters p = key.ExportParameters(includePrivateParameters: false);
        var encoded = new byte[Size];
        encoded[0] = 0x04;
        p.Q.X.AsSpan().CopyTo(encoded.AsSpan(1 + 32 - p.Q.X!.Length));
        p.Q.Y.AsSpan().CopyTo(encoded.AsSpan(33 + 32 - p.Q.Y!.Length));
        return encoded;
    }

    public void Dispose() => _key.Dispose();
}
