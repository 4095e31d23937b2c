using System.Security.Cryptography;
using SecureChat.Crypto;

namespace SecureChat.Pake;

/// <summary>
/// Party B of CPACE-RISTR255-SHA512 in initiator-responder mode (draft-irtf-cfrg-cpace-21 §5.2) as
/// SecureChat v2 runs it (issue 12 §4): on msg1, g from PRS/CI/sid, a fresh yb, Yb = yb · g for
/// msg2, K = scalar_mult_vfy(yb, Ya), ISK and psk = SHA-256("SecureChat/2 psk" ‖ ISK) in one call.
/// yb, g, K and the ISK live in pinned, tracked buffers and are wiped before the call returns.
/// </summary>
internal static class CPaceResponder
{
    /// <summary>Answers the initiator's share <paramref name="ya"/>: writes Yb and the psk.</summary>
    /// <param name="prs">The passphrase's UTF-8 bytes after NFC.</param>
    /// <param name="channel">Empty for a direct connection, the relay nameplate's ASCII digits otherwise.</param>
    /// <param name="sid">The 16 bytes of msg1.</param>
    /// <param name="ya">Ya from msg1.</param>
    /// <param name="yb32">Receives Yb (32 bytes) for msg2.</param>
    /// <param name="psk32">Receives the psk (32 bytes).</param>
    /// <param name="registry">Remembers every secret buffer, so a test can prove erasure.</param>
    /// <param name="fixedScalar">Test vectors only: yb instead of a random scalar.</param>
    /// <exception cref="ProtocolViolationException">Ya is not 32 bytes, not a canonical ristretto255 encoding, or gives K = identity (§5.2: abort). Both outputs are wiped.</exception>
    /// <exception cref="ArgumentException">sid is not 16 bytes, an output has the wrong size, the channel is too long, or fixedScalar is neither empty nor 32 bytes.</exception>
    public static void Respond(
        ReadOnlySpan<byte> prs,
        ReadOnlySpan<byte> channel,
        ReadOnlySpan<byte> sid,
        ReadOnlySpan<byte> ya,
        Span<byte> yb32,
        Span<byte> psk32,
        SecretRegistry? registry = null,
        ReadOnlySpan<byte> fixedScalar = default)
    {
        CPaceRistretto255.CheckSid(sid, nameof(sid));
        if (yb32.Length != CPaceRistretto255.PointSize)
        {
            throw new ArgumentException($"Yb is {CPaceRistretto255.PointSize} bytes.", nameof(yb32));
        }

        if (psk32.Length != CPaceRistretto255.PskSize)
        {
            throw new ArgumentException($"The psk is {CPaceRistretto255.PskSize} bytes.", nameof(psk32));
        }

        byte[] ci = CPaceChannel.ChannelIdentifier(channel);
        try
        {
            using var scalar = new SecretBuffer(CPaceRistretto255.ScalarSize, registry, SecretLabels.CPaceScalar);
            using var k = new SecretBuffer(CPaceRistretto255.PointSize, registry, SecretLabels.CPaceK);
            CPaceRistretto255.SampleScalar(scalar.Span, fixedScalar);
            CPaceRistretto255.ComputePublicShare(prs, ci, sid, scalar.Span, yb32, registry);
            if (!CPaceRistretto255.ScalarMultVfy(scalar.Span, ya, k.Span))
            {
                throw new ProtocolViolationException("The peer's CPace share is not a valid ristretto255 element or gives the identity.");
            }

            scalar.Dispose();
            CPaceRistretto255.DerivePskFromK(sid, k.Span, ya, yb32, psk32, registry);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(yb32);
            CryptographicOperations.ZeroMemory(psk32);
            throw;
        }
    }
}
