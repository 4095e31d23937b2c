using System.Text;
using SecureChat.Crypto;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;

namespace SecureChat.Tests.Noise;

public class P256HandshakeStateTests
{
    private static readonly byte[] Prologue = "SCHAT\u0001\u0001"u8.ToArray();
    private static readonly byte[] Psk = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public static TheoryData<string> Patterns => ["XX", "XXpsk3"];

    private static P256HandshakePattern PatternNamed(string name) => name == "XX" ? P256HandshakePattern.XX : P256HandshakePattern.XXpsk3;

    /// <summary>Runs the three messages in memory; <paramref name="mutate"/> may alter each message in flight.</summary>
    private static (P256HandshakeState Initiator, P256HandshakeState Responder, List<byte[]> Messages) Run(
        P256HandshakePattern pattern, Func<int, byte[], byte[]>? mutate = null, byte[]? responderPsk = null)
    {
        var si = P256KeyPair.Generate();
        var sr = P256KeyPair.Generate();
        var initiator = new P256HandshakeState(pattern, initiator: true, Prologue, si);
        var responder = new P256HandshakeState(pattern, initiator: false, Prologue, sr);
        var messages = new List<byte[]>();
        byte[] buffer = new byte[65535];
        byte[] payload = new byte[65535];
        P256HandshakeState[] order = [initiator, responder, initiator];
        for (int i = 0; i < 3; i++)
        {
            P256HandshakeState writer = order[i];
            P256HandshakeState reader = writer == initiator ? responder : initiator;
            if (pattern.IsPsk && i == 2)
            {
                initiator.SetPsk(Psk);
                responder.SetPsk(responderPsk ?? Psk);
            }

            byte[] sent = Encoding.UTF8.GetBytes(i == 0 ? "" : $"{{\"m\":{i}}}");
            int length = writer.WriteMessage(sent, buffer);
            byte[] message = buffer.AsSpan(0, length).ToArray();
            messages.Add(message);
            byte[] received = mutate?.Invoke(i, message.ToArray()) ?? message;
            int payloadLength = reader.ReadMessage(received, payload);
            Assert.Equal(sent, payload.AsSpan(0, payloadLength).ToArray());
        }

        return (initiator, responder, messages);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Both_sides_derive_the_same_handshake_hash_and_transport_keys(string name)
    {
        var (i, r, messages) = Run(PatternNamed(name));
        Assert.True(i.IsComplete && r.IsComplete);
        Assert.Equal(i.HandshakeHash.ToArray(), r.HandshakeHash.ToArray());

        // Sizes: msg1 = e (+ empty payload's tag under psk, where "e" also calls MixKey, §9.2).
        Assert.Equal(name == "XX" ? 65 : 81, messages[0].Length);
        Assert.Equal(65 + 81 + 7 + 16, messages[1].Length);
        Assert.Equal(81 + 7 + 16, messages[2].Length);

        var (i1, i2) = i.TakeTransportCiphers();
        var (r1, r2) = r.TakeTransportCiphers();
        foreach (var (send, receive) in new[] { (i1, r1), (r2, i2) })
        {
            for (int n = 0; n < 3; n++)
            {
                byte[] plaintext = Encoding.UTF8.GetBytes($"message {n}");
                byte[] ciphertext = new byte[plaintext.Length + 16];
                send.EncryptWithAd([], plaintext, ciphertext);
                send.Rekey();
                byte[] opened = new byte[plaintext.Length];
                Assert.Equal(plaintext.Length, receive.DecryptWithAd([], ciphertext, opened));
                receive.Rekey();
                Assert.Equal(plaintext, opened);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Changing_any_byte_of_any_handshake_message_fails_the_handshake(string name)
    {
        P256HandshakePattern pattern = PatternNamed(name);
        var (_, _, messages) = Run(pattern);
        for (int message = 0; message < 3; message++)
        {
            for (int position = 0; position < messages[message].Length; position++)
            {
                int m = message;
                int p = position;
                Exception? error = Record.Exception(() => Run(pattern, (index, bytes) =>
                {
                    if (index == m)
                    {
                        bytes[p % bytes.Length] ^= 0x01;
                    }

                    return bytes;
                }));
                Assert.True(
                    error is IntegrityException or ProtocolViolationException,
                    $"{name}: flipping byte {p} of message {m + 1} gave {error?.GetType().Name ?? "a completed handshake"}");
            }
        }
    }

    [Fact]
    public void Different_psk_fails_the_third_message_after_the_psk_token()
    {
        byte[] other = (byte[])Psk.Clone();
        other[0] ^= 1;
        var error = Assert.Throws<IntegrityException>(() => Run(P256HandshakePattern.XXpsk3, responderPsk: other));
        Assert.Contains("payload", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_too_short_or_with_invalid_points_are_protocol_errors()
    {
        using var s = P256KeyPair.Generate();
        using var responder = new P256HandshakeState(P256HandshakePattern.XX, initiator: false, Prologue, s);
        byte[] payload = new byte[100];
        Assert.Throws<ProtocolViolationException>(() => responder.ReadMessage(new byte[64], payload));

        using var responder2 = new P256HandshakeState(P256HandshakePattern.XX, initiator: false, Prologue, s);
        byte[] offCurve = new byte[65];
        offCurve[0] = 0x04;
        offCurve[64] = 1; // (0, 1) is not on P-256
        Assert.Throws<ProtocolViolationException>(() => responder2.ReadMessage(offCurve, payload));
    }

    [Fact]
    public void Protocol_names_are_padded_into_the_initial_hash()
    {
        Assert.Equal("Noise_XX_P256_AESGCM_SHA256", P256HandshakePattern.XX.ProtocolName);
        Assert.Equal("Noise_XXpsk3_P256_AESGCM_SHA256", P256HandshakePattern.XXpsk3.ProtocolName);
        using var state = new SymmetricState("Noise_XX_P256_AESGCM_SHA256", null, null);
        byte[] expected = new byte[32];
        Encoding.ASCII.GetBytes("Noise_XX_P256_AESGCM_SHA256").CopyTo(expected, 0);
        Assert.Equal(expected, state.HandshakeHash.ToArray());
    }
}
