using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;

namespace SecureChat.Pake;

/// <summary>
/// The building blocks of CPACE-RISTR255-SHA512 (draft-irtf-cfrg-cpace-21): the generator string
/// (§6.1), calculate_generator and scalar_mult_vfy for ristretto255 (§6.3, RFC 9496 through
/// libsodium), and the ISK in initiator-responder mode (§5.2, transcript_ir of §4.3). Every secret
/// intermediate (the generator string, which contains the PRS, its hash, the generator g, the
/// shared point K and the ISK input) lives in a <see cref="SecretBuffer"/> tracked by the optional
/// registry and is wiped as soon as the next value has been computed from it. Sizes: points and
/// scalars 32 bytes, ISK 64 bytes (SHA-512). AD and CI are taken as given, so the draft's own
/// vectors (non-empty CI, ADa, ADb) run through the same code as SecureChat's runs.
/// </summary>
internal static class CPaceRistretto255
{
    /// <summary>H.s_in_bytes of SHA-512 (draft §4.2): the input block size the zero padding fills.</summary>
    public const int HashInputBlockSize = 128;

    /// <summary>2 · G.field_size_bytes (§6.3): the length of the hash fed to the element derivation.</summary>
    public const int GeneratorHashSize = 64;

    /// <summary>An encoded ristretto255 element.</summary>
    public const int PointSize = Sodium.Ristretto255PointSize;

    /// <summary>A ristretto255 scalar, little-endian.</summary>
    public const int ScalarSize = Sodium.Ristretto255ScalarSize;

    /// <summary>The ISK: a full SHA-512 output (H.b_in_bytes, §4.2).</summary>
    public const int IskSize = 64;

    /// <summary>The PSK SecureChat derives from the ISK: SHA-256.</summary>
    public const int PskSize = 32;

    /// <summary>SecureChat's sid: the 16 random bytes of msg1 (issue 12 §4).</summary>
    public const int SidSize = 16;

    /// <summary>The largest hash input built here (a bound for the pinned buffers, far above any real PRS).</summary>
    public const int MaxHashInput = 4096;

    /// <summary>G_Ristretto255.DSI (§6.3).</summary>
    public static ReadOnlySpan<byte> Dsi => "CPaceRistretto255"u8;

    /// <summary>G.DSI ‖ b"_ISK" (§5.2).</summary>
    public static ReadOnlySpan<byte> DsiIsk => "CPaceRistretto255_ISK"u8;

    /// <summary>The label of SecureChat's psk = SHA-256("SecureChat/2 psk" ‖ ISK) (issue 12 §4).</summary>
    public static ReadOnlySpan<byte> PskLabel => "SecureChat/2 psk"u8;

    /// <summary>
    /// len_zpad = max(0, s_in_bytes − len(prepend_len(PRS)) − len(prepend_len(DSI)) − 1) (§6.1). The −1
    /// is the one-byte length prefix of the padding itself, so that prepend_len(DSI) ‖ prepend_len(PRS) ‖
    /// prepend_len(zpad) fills exactly the first 128-byte SHA-512 block when the PRS is short.
    /// </summary>
    public static int ZeroPaddingLength(int prsLength) =>
        Math.Max(0, HashInputBlockSize - LengthValue.EncodedLength(prsLength) - LengthValue.EncodedLength(Dsi.Length) - 1);

    /// <summary>The length of generator_string(DSI, PRS, CI, sid, 128).</summary>
    public static int GeneratorStringLength(int prsLength, int ciLength, int sidLength) => checked(
        LengthValue.EncodedLength(Dsi.Length)
        + LengthValue.EncodedLength(prsLength)
        + LengthValue.EncodedLength(ZeroPaddingLength(prsLength))
        + LengthValue.EncodedLength(ciLength)
        + LengthValue.EncodedLength(sidLength));

    /// <summary>
    /// Writes generator_string(DSI, PRS, CI, sid, s_in_bytes = 128) =
    /// lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid) (§6.1); returns its length. The output contains
    /// the PRS: the caller gives a buffer it wipes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteGeneratorString(ReadOnlySpan<byte> prs, ReadOnlySpan<byte> ci, ReadOnlySpan<byte> sid, Span<byte> destination)
    {
        int position = LengthValue.Write(Dsi, destination);
        position += LengthValue.Write(prs, destination[position..]);
        position += LengthValue.WriteZeros(ZeroPaddingLength(prs.Length), destination[position..]);
        position += LengthValue.Write(ci, destination[position..]);
        position += LengthValue.Write(sid, destination[position..]);
        return position;
    }

    /// <summary>
    /// G.calculate_generator(H, PRS, CI, sid) (§6.3): g = element_derivation(SHA-512(generator_string)),
    /// the ristretto255 one-way map of RFC 9496 §4.3.4, written encoded into <paramref name="generator"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs make a generator string longer than <see cref="MaxHashInput"/>, or <paramref name="generator"/> is not 32 bytes.</exception>
    public static void CalculateGenerator(
        ReadOnlySpan<byte> prs, ReadOnlySpan<byte> ci, ReadOnlySpan<byte> sid, Span<byte> generator, SecretRegistry? registry = null)
    {
        CheckLength(generator, PointSize, nameof(generator));
        int length = GeneratorStringLength(prs.Length, ci.Length, sid.Length);
        if (length > MaxHashInput)
        {
            throw new ArgumentException($"PRS, CI and sid together exceed {MaxHashInput} bytes.", nameof(prs));
        }

        using var hash = new SecretBuffer(GeneratorHashSize, registry);
        using (var generatorString = new SecretBuffer(length, registry))
        {
            WriteGeneratorString(prs, ci, sid, generatorString.Span);
            SHA512.HashData(generatorString.Span, hash.Span);
        }

        Sodium.Ristretto255FromHash(hash.Span, generator);
    }

    /// <summary>
    /// Y = y · g for our own share (G.scalar_mult, §6.3), and the generator wiped right after.
    /// </summary>
    public static void ComputePublicShare(
        ReadOnlySpan<byte> prs, ReadOnlySpan<byte> ci, ReadOnlySpan<byte> sid, ReadOnlySpan<byte> scalar, Span<byte> share, SecretRegistry? registry = null)
    {
        CheckLength(scalar, ScalarSize, nameof(scalar));
        CheckLength(share, PointSize, nameof(share));
        using var generator = new SecretBuffer(PointSize, registry, SecretLabels.CPaceGenerator);
        CalculateGenerator(prs, ci, sid, generator.Span, registry);
        if (!Sodium.Ristretto255ScalarMult(scalar, generator.Span, share))
        {
            // Only a zero scalar (mod L) gets here: g is never the identity in practice.
            throw new CryptographicException("The CPace scalar gave the identity element.");
        }
    }

    /// <summary>
    /// G.scalar_mult_vfy(y, X) (§6.3): false (and <paramref name="result"/> wiped) when X does not
    /// decode to a ristretto255 element or y · X is the identity, where the draft returns G.I and
    /// says the caller MUST abort (§5.2).
    /// </summary>
    public static bool ScalarMultVfy(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, Span<byte> result)
    {
        CheckLength(scalar, ScalarSize, nameof(scalar));
        CheckLength(result, PointSize, nameof(result));
        if (point.Length != PointSize)
        {
            CryptographicOperations.ZeroMemory(result);
            return false;
        }

        return Sodium.Ristretto255ScalarMult(scalar, point, result);
    }

    /// <summary>
    /// ISK = SHA-512(lv_cat(DSI ‖ "_ISK", sid, K) ‖ transcript_ir(Ya, ADa, Yb, ADb)) with
    /// transcript_ir = lv_cat(Ya, ADa) ‖ lv_cat(Yb, ADb) (§5.2, §4.3), into the 64-byte <paramref name="isk"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs exceed <see cref="MaxHashInput"/> bytes, or <paramref name="isk"/> is not 64 bytes.</exception>
    public static void DeriveIsk(
        ReadOnlySpan<byte> sid,
        ReadOnlySpan<byte> k,
        ReadOnlySpan<byte> ya,
        ReadOnlySpan<byte> ada,
        ReadOnlySpan<byte> yb,
        ReadOnlySpan<byte> adb,
        Span<byte> isk,
        SecretRegistry? registry = null)
    {
        CheckLength(isk, IskSize, nameof(isk));
        int length = checked(
            LengthValue.EncodedLength(DsiIsk.Length) + LengthValue.EncodedLength(sid.Length) + LengthValue.EncodedLength(k.Length)
            + LengthValue.EncodedLength(ya.Length) + LengthValue.EncodedLength(ada.Length)
            + LengthValue.EncodedLength(yb.Length) + LengthValue.EncodedLength(adb.Length));
        if (length > MaxHashInput)
        {
            throw new ArgumentException($"The ISK input exceeds {MaxHashInput} bytes.", nameof(ada));
        }

        using var input = new SecretBuffer(length, registry);
        Span<byte> buffer = input.Span;
        int position = LengthValue.Write(DsiIsk, buffer);
        position += LengthValue.Write(sid, buffer[position..]);
        position += LengthValue.Write(k, buffer[position..]);
        position += LengthValue.Write(ya, buffer[position..]);
        position += LengthValue.Write(ada, buffer[position..]);
        position += LengthValue.Write(yb, buffer[position..]);
        LengthValue.Write(adb, buffer[position..]);
        SHA512.HashData(buffer, isk);
    }

    /// <summary>SecureChat's psk = SHA-256("SecureChat/2 psk" ‖ ISK) (issue 12 §4), into the 32-byte <paramref name="psk"/>.</summary>
    public static void DerivePsk(ReadOnlySpan<byte> isk, Span<byte> psk, SecretRegistry? registry = null)
    {
        CheckLength(isk, IskSize, nameof(isk));
        CheckLength(psk, PskSize, nameof(psk));
        using var input = new SecretBuffer(PskLabel.Length + IskSize, registry);
        PskLabel.CopyTo(input.Span);
        isk.CopyTo(input.Span[PskLabel.Length..]);
        SHA256.HashData(input.Span, psk);
    }

    /// <summary>
    /// From K to psk for a SecureChat run (ADa = ADb = empty): ISK in a tracked buffer, wiped once
    /// the psk has been derived from it.
    /// </summary>
    public static void DerivePskFromK(
        ReadOnlySpan<byte> sid, ReadOnlySpan<byte> k, ReadOnlySpan<byte> ya, ReadOnlySpan<byte> yb, Span<byte> psk, SecretRegistry? registry)
    {
        using var isk = new SecretBuffer(IskSize, registry, SecretLabels.CPaceIsk);
        DeriveIsk(sid, k, ya, [], yb, [], isk.Span, registry);
        DerivePsk(isk.Span, psk, registry);
    }

    /// <summary>Fills <paramref name="scalar"/> with a fresh scalar, or with <paramref name="fixedScalar"/> (test vectors) when one is given.</summary>
    /// <exception cref="ArgumentException"><paramref name="fixedScalar"/> is neither empty nor 32 bytes.</exception>
    public static void SampleScalar(Span<byte> scalar, ReadOnlySpan<byte> fixedScalar)
    {
        if (fixedScalar.IsEmpty)
        {
            // Uniform in [1, L): the alternative G.sample_scalar() the draft allows (§6.3).
            Sodium.Ristretto255ScalarRandom(scalar);
            return;
        }

        CheckLength(fixedScalar, ScalarSize, nameof(fixedScalar));
        fixedScalar.CopyTo(scalar);
    }

    /// <summary>Throws when a caller-supplied sid is not the 16 bytes SecureChat uses (msg1's sid, issue 12 §4).</summary>
    public static void CheckSid(ReadOnlySpan<byte> sid, string name) => CheckLength(sid, SidSize, name);

    private static void CheckLength(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} bytes, got {span.Length}.", name);
        }
    }
}
