using System.Security.Cryptography;
using SecureChat.Crypto;

namespace SecureChat.Pake;

/// <summary>
/// Party A of CPACE-RISTR255-SHA512 in initiator-responder mode (draft-irtf-cfrg-cpace-21 §5.2) as
/// SecureChat v2 runs it (issue 12 §4): CI = lv_cat("SecureChat/2", channel), a 16-byte sid,
/// ADa = ADb = empty. The constructor computes g, samples ya and makes Ya (32 bytes, for msg1); g is
/// wiped at once and only ya is kept, pinned. <see cref="Finish"/> takes Yb from msg2, computes
/// K = scalar_mult_vfy(ya, Yb), the ISK and psk = SHA-256("SecureChat/2 psk" ‖ ISK), and wipes
/// everything, whether it succeeds or not. One run per instance.
/// </summary>
internal sealed class CPaceInitiator : IDisposable
{
    private readonly SecretBuffer _scalar;
    private readonly SecretRegistry? _registry;
    private readonly byte[] _sid;
    private readonly byte[] _ya = new byte[CPaceRistretto255.PointSize];

    /// <param name="prs">The password-related string: the passphrase's UTF-8 bytes after NFC (<c>Passphrase</c> normalises).</param>
    /// <param name="channel">Empty for a direct connection, the relay nameplate's ASCII digits otherwise.</param>
    /// <param name="sid">The 16 random bytes of msg1.</param>
    /// <param name="registry">Remembers every secret buffer, so a test can prove erasure.</param>
    /// <param name="fixedScalar">Test vectors only: ya instead of a random scalar.</param>
    /// <exception cref="ArgumentException">sid is not 16 bytes, the channel is too long, or fixedScalar is neither empty nor 32 bytes.</exception>
    public CPaceInitiator(
        ReadOnlySpan<byte> prs, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> sid, SecretRegistry? registry = null, ReadOnlySpan<byte> fixedScalar = default)
    {
        CPaceRistretto255.CheckSid(sid, nameof(sid));
        byte[] ci = CPaceChannel.ChannelIdentifier(channel);
        _sid = sid.ToArray();
        _registry = registry;
        _scalar = new SecretBuffer(CPaceRistretto255.ScalarSize, registry, SecretLabels.CPaceScalar);
        try
        {
            CPaceRistretto255.SampleScalar(_scalar.Span, fixedScalar);
            CPaceRistretto255.ComputePublicShare(prs, ci, sid, _scalar.Span, _ya, registry);
        }
        catch
        {
            _scalar.Dispose();
            throw;
        }
    }

    /// <summary>Ya, the initiator's 32-byte public share (public: it travels in msg1).</summary>
    public ReadOnlySpan<byte> Ya => _ya;

    /// <summary>
    /// Completes the run with the responder's share: writes the 32-byte psk and wipes ya, K and the ISK.
    /// </summary>
    /// <param name="yb">Yb from msg2.</param>
    /// <param name="psk32">Receives psk; wiped when the run fails.</param>
    /// <exception cref="ProtocolViolationException">Yb is not 32 bytes, not a canonical ristretto255 encoding, or gives K = identity (§5.2: abort).</exception>
    /// <exception cref="ArgumentException"><paramref name="psk32"/> is not 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">The run is already finished or disposed.</exception>
    public void Finish(ReadOnlySpan<byte> yb, Span<byte> psk32)
    {
        ObjectDisposedException.ThrowIf(_scalar.IsDisposed, this);
        if (psk32.Length != CPaceRistretto255.PskSize)
        {
            throw new ArgumentException($"The psk is {CPaceRistretto255.PskSize} bytes.", nameof(psk32));
        }

        try
        {
            using var k = new SecretBuffer(CPaceRistretto255.PointSize, _registry, SecretLabels.CPaceK);
            if (!CPaceRistretto255.ScalarMultVfy(_scalar.Span, yb, k.Span))
            {
                throw new ProtocolViolationException("The peer's CPace share is not a valid ristretto255 element or gives the identity.");
            }

            _scalar.Dispose();
            CPaceRistretto255.DerivePskFromK(_sid, k.Span, _ya, yb, psk32, _registry);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(psk32);
            throw;
        }
        finally
        {
            _scalar.Dispose();
        }
    }

    /// <summary>Wipes ya (a run that is abandoned before msg2).</summary>
    public void Dispose() => _scalar.Dispose();
}
