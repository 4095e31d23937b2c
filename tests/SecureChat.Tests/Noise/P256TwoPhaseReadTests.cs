using System.Text;
using SecureChat.Crypto;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;

namespace SecureChat.Tests.Noise;

/// <summary>
/// XXpsk3's third message read in two phases (up to the psk token, then the rest), so that the
/// psk is needed only after the peer's static key has been authenticated (Noise §5.3, §9).
/// </summary>
public class P256TwoPhaseReadTests
{
    private static readonly byte[] Prologue = "SCHAT\u0001\u0002"u8.ToArray();
    private static readonly byte[] Psk = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>Messages 1 and 2 in memory; returns msg3 as the initiator wrote it (psk set).</summary>
    private static (P256HandshakeState Initiator, P256HandshakeState Responder, byte[] Msg3) UpToMsg3(P256KeyPair si, P256KeyPair sr, P256KeyPair ei, P256KeyPair er)
    {
        var initiator = new P256HandshakeState(P256HandshakePattern.XXpsk3, initiator: true, Prologue, si, fixedEphemeral: ei);
        var responder = new P256HandshakeState(P256HandshakePattern.XXpsk3, initiator: false, Prologue, sr, fixedEphemeral: er);
        byte[] buffer = new byte[65535];
        byte[] payload = new byte[65535];
        int length = initiator.WriteMessage([], buffer);
        responder.ReadMessage(buffer.AsSpan(0, length), payload);
        length = responder.WriteMessage("{\"m\":2}"u8, buffer);
        initiator.ReadMessage(buffer.AsSpan(0, length), payload);
        initiator.SetPsk(Psk);
        length = initiator.WriteMessage("{\"m\":3}"u8, buffer);
        return (initiator, responder, buffer.AsSpan(0, length).ToArray());
    }

    private static P256KeyPair Key(byte seed) => P256KeyPair.FromPrivateScalar(Enumerable.Repeat(seed, 32).ToArray());

    [Fact]
    public void Two_phase_read_gives_the_same_transcript_and_keys_as_a_one_shot_read()
    {
        using P256KeyPair si = Key(1), sr = Key(2);
        var (i1, oneShot, msg3) = UpToMsg3(si, sr, Key(3), Key(4));
        var (i2, twoPhase, msg3Again) = UpToMsg3(si, sr, Key(3), Key(4));
        Assert.Equal(msg3, msg3Again); // same keys, same messages

        byte[] payload = new byte[100];
        oneShot.SetPsk(Psk);
        int a = oneShot.ReadMessage(msg3, payload);

        twoPhase.ReadMessageUntilPsk(msg3);
        Assert.False(twoPhase.PskMixed);
        Assert.NotEmpty(twoPhase.RemoteStaticPublicKey.ToArray()); // s is authenticated before the psk is needed
        twoPhase.SetPsk(Psk);
        byte[] payload2 = new byte[100];
        int b = twoPhase.ReadMessageAfterPsk(msg3, payload2);

        Assert.Equal("{\"m\":3}", Encoding.UTF8.GetString(payload2, 0, b));
        Assert.Equal(payload.AsSpan(0, a).ToArray(), payload2.AsSpan(0, b).ToArray());
        Assert.Equal(oneShot.HandshakeHash.ToArray(), twoPhase.HandshakeHash.ToArray());
        Assert.Equal(i1.HandshakeHash.ToArray(), twoPhase.HandshakeHash.ToArray());
        var (c1, _) = oneShot.TakeTransportCiphers();
        var (c2, _) = twoPhase.TakeTransportCiphers();
        var (sendA, _) = i1.TakeTransportCiphers();
        byte[] ciphertext = new byte[2 + 16];
        sendA.EncryptWithAd([], "hi"u8, ciphertext);
        byte[] opened = new byte[2];
        Assert.Equal(2, c1.DecryptWithAd([], ciphertext, opened));
        Assert.Equal(2, c2.DecryptWithAd([], ciphertext, opened));
        Assert.Equal("hi", Encoding.UTF8.GetString(opened));
        i2.Dispose();
    }

    [Fact]
    public void A_tampered_static_key_fails_in_the_first_phase_before_any_psk_is_needed()
    {
        using P256KeyPair si = Key(1), sr = Key(2);
        var (_, responder, msg3) = UpToMsg3(si, sr, Key(3), Key(4));
        msg3[10] ^= 1; // inside the encrypted s
        Assert.Throws<IntegrityException>(() => responder.ReadMessageUntilPsk(msg3));
        Assert.False(responder.PskMixed);
    }

    [Fact]
    public void The_second_phase_needs_the_psk_and_the_first_phase()
    {
        using P256KeyPair si = Key(1), sr = Key(2);
        var (_, responder, msg3) = UpToMsg3(si, sr, Key(3), Key(4));
        byte[] payload = new byte[100];
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessageAfterPsk(msg3, payload));
        responder.ReadMessageUntilPsk(msg3);
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessageAfterPsk(msg3, payload));
    }

    [Fact]
    public void A_wrong_psk_fails_in_the_second_phase()
    {
        using P256KeyPair si = Key(1), sr = Key(2);
        var (_, responder, msg3) = UpToMsg3(si, sr, Key(3), Key(4));
        responder.ReadMessageUntilPsk(msg3);
        responder.SetPsk(new byte[32]);
        Assert.Throws<IntegrityException>(() => responder.ReadMessageAfterPsk(msg3, new byte[100]));
        Assert.True(responder.PskMixed);
    }
}
