using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Tests.Noise;

/// <summary>
/// Erasure of the v2 handshake's secrets, proved through <see cref="SecretRegistry"/>: every
/// buffer a HandshakeState allocates (ck, the handshake key, e, the ML-KEM secret key, the KEM
/// shared secret, the psk, the transport keys) is tracked, and each must be all zero when the
/// handshake is over (only the two transport keys left) and after Dispose.
/// </summary>
public class HandshakeErasureTests
{
    private static bool AllZero(byte[] array) => Array.TrueForAll(array, b => b == 0);

    private static int KeyBuffers(SecretRegistry registry) =>
        registry.Snapshot().Count - registry.Labelled(SecretLabels.Aes256GcmState).Count;

    [Theory]
    [InlineData("XXhfs")]
    [InlineData("XXhfsPsk3")]
    public void After_the_last_message_only_the_two_transport_keys_are_nonzero_and_after_dispose_none(string name)
    {
        HandshakePattern pattern = name == "XXhfs" ? HandshakePattern.XXhfs : HandshakePattern.XXhfsPsk3;
        var initiatorSecrets = new SecretRegistry();
        var responderSecrets = new SecretRegistry();
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        var (initiator, responder, _) = HandshakeStateTests.Run(pattern, null, si, sr, initiatorSecrets, responderSecrets);

        // Initiator: ck, handshake k, e, ML-KEM secret key, KEM ss (+ psk), two transport keys.
        // Responder: ck, handshake k, e, KEM ss (+ psk), two transport keys. Besides those, on the
        // libsodium path, the handshake k's expanded AES key (tracked, checked for zeros below).
        int psk = pattern.IsPsk ? 1 : 0;
        Assert.Equal(7 + psk, KeyBuffers(initiatorSecrets));
        Assert.Equal(6 + psk, KeyBuffers(responderSecrets));
        Assert.Contains(initiatorSecrets.Snapshot(), a => a.Length == MlKem768KeyPair.SecretKeySize);
        foreach (SecretRegistry registry in new[] { initiatorSecrets, responderSecrets })
        {
            Assert.Equal(2, registry.Snapshot().Count(a => !AllZero(a)));
        }

        var (i2r, r2i) = initiator.TakeTransportCiphers();
        var (ri2r, rr2i) = responder.TakeTransportCiphers();
        initiator.Dispose();
        responder.Dispose();
        Assert.Equal(2, initiatorSecrets.Snapshot().Count(a => !AllZero(a)));
        i2r.Dispose();
        r2i.Dispose();
        ri2r.Dispose();
        rr2i.Dispose();
        Assert.All(initiatorSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        Assert.All(responderSecrets.Snapshot(), a => Assert.True(AllZero(a)));
    }

    [Fact]
    public void Dispose_in_the_middle_of_the_handshake_erases_everything()
    {
        var initiatorSecrets = new SecretRegistry();
        var responderSecrets = new SecretRegistry();
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        var initiator = new HandshakeState(HandshakePattern.XXhfsPsk3, true, [], si, initiatorSecrets);
        var responder = new HandshakeState(HandshakePattern.XXhfsPsk3, false, [], sr, responderSecrets);
        byte[] psk = new byte[32];
        psk[3] = 9;
        initiator.SetPsk(psk);
        responder.SetPsk(psk);
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        int length = initiator.WriteMessage([], buffer);
        responder.ReadMessage(buffer.AsSpan(0, length), payload);
        length = responder.WriteMessage([], buffer);

        // The initiator holds its ML-KEM secret key and e; the responder ck, k, e, psk.
        Assert.Contains(initiatorSecrets.Snapshot(), a => a.Length == MlKem768KeyPair.SecretKeySize && !AllZero(a));
        Assert.True(responderSecrets.Snapshot().Count(a => !AllZero(a)) >= 4);
        initiator.Dispose();
        responder.Dispose();
        Assert.All(initiatorSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        Assert.All(responderSecrets.Snapshot(), a => Assert.True(AllZero(a)));
    }

    [Fact]
    public void The_ML_KEM_secret_key_is_erased_as_soon_as_message_2_is_read()
    {
        var initiatorSecrets = new SecretRegistry();
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        using var initiator = new HandshakeState(HandshakePattern.XXhfs, true, [], si, initiatorSecrets);
        using var responder = new HandshakeState(HandshakePattern.XXhfs, false, [], sr);
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        int length = initiator.WriteMessage([], buffer);
        responder.ReadMessage(buffer.AsSpan(0, length), payload);
        length = responder.WriteMessage([], buffer);
        initiator.ReadMessage(buffer.AsSpan(0, length), payload);
        Assert.All(initiatorSecrets.Snapshot().Where(a => a.Length == MlKem768KeyPair.SecretKeySize), a => Assert.True(AllZero(a)));
    }
}
