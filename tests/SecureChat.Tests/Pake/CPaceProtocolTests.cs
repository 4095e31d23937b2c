using SecureChat.Crypto;
using SecureChat.Pake;

namespace SecureChat.Tests.Pake;

/// <summary>CPaceInitiator and CPaceResponder as the session uses them (issue 12 §4).</summary>
public sealed class CPaceProtocolTests
{
    private static readonly byte[] Sid = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");

    private static (byte[] Initiator, byte[] Responder) Run(
        ReadOnlySpan<byte> prsA, ReadOnlySpan<byte> prsB, ReadOnlySpan<byte> channelA = default, ReadOnlySpan<byte> channelB = default, byte[]? sidB = null)
    {
        byte[] pskA = new byte[32];
        byte[] pskB = new byte[32];
        byte[] yb = new byte[32];
        using var initiator = new CPaceInitiator(prsA, channelA, Sid);
        CPaceResponder.Respond(prsB, channelB, sidB ?? Sid, initiator.Ya, yb, pskB);
        initiator.Finish(yb, pskA);
        return (pskA, pskB);
    }

    [Fact]
    public void Same_passphrase_channel_and_sid_give_the_same_psk()
    {
        (byte[] a, byte[] b) = Run("correct horse"u8, "correct horse"u8, "4711"u8, "4711"u8);
        Assert.Equal(a, b);
        Assert.Contains(a, x => x != 0);
    }

    [Fact]
    public void Two_runs_with_the_same_passphrase_give_different_psks()
    {
        (byte[] first, _) = Run("correct horse"u8, "correct horse"u8);
        (byte[] second, _) = Run("correct horse"u8, "correct horse"u8);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_different_passphrase_gives_a_different_psk()
    {
        (byte[] a, byte[] b) = Run("correct horse"u8, "correct horsf"u8);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void A_different_channel_gives_a_different_psk()
    {
        (byte[] a, byte[] b) = Run("correct horse"u8, "correct horse"u8, "12"u8, "13"u8);
        Assert.NotEqual(a, b);
        (a, b) = Run("correct horse"u8, "correct horse"u8, default, "1"u8);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void A_different_sid_gives_a_different_psk()
    {
        byte[] other = (byte[])Sid.Clone();
        other[15] ^= 1;
        (byte[] a, byte[] b) = Run("correct horse"u8, "correct horse"u8, sidB: other);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Channel_identifier_is_lv_cat_of_the_label_and_the_channel()
    {
        Assert.Equal("0c536563757265436861742f3200", Convert.ToHexStringLower(CPaceChannel.ChannelIdentifier([])));
        Assert.Equal("0c536563757265436861742f32023132", Convert.ToHexStringLower(CPaceChannel.ChannelIdentifier("12"u8)));
    }

    public static TheoryData<string> BadShares => new()
    {
        "0000000000000000000000000000000000000000000000000000000000000000", // the identity
        "2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c", // does not decode
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // non-canonical
        "00",                                                               // wrong length
        "",
    };

    [Theory]
    [MemberData(nameof(BadShares))]
    public void Initiator_rejects_an_invalid_Yb_and_wipes_the_psk(string hex)
    {
        var registry = new SecretRegistry();
        using var initiator = new CPaceInitiator("pass"u8, [], Sid, registry);
        byte[] psk = [.. Enumerable.Repeat((byte)0xAA, 32)];
        Assert.Throws<ProtocolViolationException>(() => initiator.Finish(Convert.FromHexString(hex), psk));
        Assert.All(psk, b => Assert.Equal(0, b));
        AssertAllZero(registry);
        Assert.Throws<ObjectDisposedException>(() => initiator.Finish(new byte[32], psk));
    }

    [Theory]
    [MemberData(nameof(BadShares))]
    public void Responder_rejects_an_invalid_Ya_and_wipes_its_outputs(string hex)
    {
        var registry = new SecretRegistry();
        byte[] yb = new byte[32];
        byte[] psk = new byte[32];
        Assert.Throws<ProtocolViolationException>(() => CPaceResponder.Respond("pass"u8, [], Sid, Convert.FromHexString(hex), yb, psk, registry));
        Assert.All(yb, b => Assert.Equal(0, b));
        Assert.All(psk, b => Assert.Equal(0, b));
        AssertAllZero(registry);
    }

    [Fact]
    public void Every_tracked_secret_is_zero_after_Finish_and_Respond()
    {
        var initiatorSecrets = new SecretRegistry();
        var responderSecrets = new SecretRegistry();
        byte[] yb = new byte[32];
        byte[] pskA = new byte[32];
        byte[] pskB = new byte[32];
        using (var initiator = new CPaceInitiator("pass"u8, "9"u8, Sid, initiatorSecrets))
        {
            // g, the generator string and its hash are already gone; only ya is alive.
            Assert.Single(initiatorSecrets.Snapshot(), a => a.Any(b => b != 0));
            CPaceResponder.Respond("pass"u8, "9"u8, Sid, initiator.Ya, yb, pskB, responderSecrets);
            initiator.Finish(yb, pskA);
        }

        Assert.Equal(pskA, pskB);
        // generator string, its hash, g, y, K, ISK input, ISK, psk input.
        Assert.True(initiatorSecrets.Snapshot().Count >= 8);
        Assert.True(responderSecrets.Snapshot().Count >= 8);
        AssertAllZero(initiatorSecrets);
        AssertAllZero(responderSecrets);
    }

    [Fact]
    public void Disposing_an_unfinished_initiator_wipes_ya()
    {
        var registry = new SecretRegistry();
        var initiator = new CPaceInitiator("pass"u8, [], Sid, registry);
        initiator.Dispose();
        AssertAllZero(registry);
    }

    [Fact]
    public void Caller_mistakes_are_argument_exceptions()
    {
        Assert.Throws<ArgumentException>(() => new CPaceInitiator("pass"u8, [], new byte[15]));
        Assert.Throws<ArgumentException>(() => new CPaceInitiator("pass"u8, [], Sid, fixedScalar: new byte[31]));
        Assert.Throws<ArgumentException>(() => new CPaceInitiator("pass"u8, new byte[256], Sid));
        using var initiator = new CPaceInitiator("pass"u8, [], Sid);
        Assert.Throws<ArgumentException>(() => initiator.Finish(new byte[32], new byte[31]));
        Assert.Throws<ArgumentException>(() => CPaceResponder.Respond("pass"u8, [], Sid, initiator.Ya, new byte[32], new byte[33]));
    }

    private static void AssertAllZero(SecretRegistry registry)
    {
        Assert.NotEmpty(registry.Snapshot());
        Assert.All(registry.Snapshot(), array => Assert.All(array, b => Assert.Equal(0, b)));
    }
}
