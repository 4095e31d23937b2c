using System.Text;
using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Tests.Noise;

/// <summary>The v2 HandshakeState (X25519, AESGCM, SHA256, hfs with ML-KEM-768) in memory: sizes, the split write, tampering, key checks.</summary>
public class HandshakeStateTests
{
    private static readonly byte[] Psk = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public static TheoryData<string> Patterns => ["XX", "XXpsk3", "XXhfs", "XXhfsPsk3"];

    public static TheoryData<string> HybridPatterns => ["XXhfs", "XXhfsPsk3"];

    private static HandshakePattern PatternNamed(string name) => name switch
    {
        "XX" => HandshakePattern.XX,
        "XXpsk3" => HandshakePattern.XXpsk3,
        "XXhfs" => HandshakePattern.XXhfs,
        _ => HandshakePattern.XXhfsPsk3,
    };

    private static byte[] Prologue(HandshakePattern pattern) => [.. "SCHAT"u8, 2, (byte)(pattern.IsPsk ? 2 : 1)];

    /// <summary>
    /// Runs the three messages in memory; <paramref name="mutate"/> may alter each message in flight.
    /// Returns both states (complete unless an exception escaped) and the messages as sent.
    /// </summary>
    internal static (HandshakeState Initiator, HandshakeState Responder, List<byte[]> Messages) Run(
        HandshakePattern pattern,
        Func<int, byte[], byte[]>? mutate = null,
        X25519KeyPair? initiatorStatic = null,
        X25519KeyPair? responderStatic = null,
        SecretRegistry? initiatorSecrets = null,
        SecretRegistry? responderSecrets = null)
    {
        X25519KeyPair si = initiatorStatic ?? X25519KeyPair.Generate();
        X25519KeyPair sr = responderStatic ?? X25519KeyPair.Generate();
        var initiator = new HandshakeState(pattern, initiator: true, Prologue(pattern), si, initiatorSecrets);
        var responder = new HandshakeState(pattern, initiator: false, Prologue(pattern), sr, responderSecrets);
        if (pattern.IsPsk)
        {
            initiator.SetPsk(Psk);
            responder.SetPsk(Psk);
        }

        var messages = new List<byte[]>();
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        for (int i = 0; i < 3; i++)
        {
            HandshakeState writer = i % 2 == 0 ? initiator : responder;
            HandshakeState reader = i % 2 == 0 ? responder : initiator;
            Assert.True(writer.IsMyTurn);
            Assert.False(reader.IsMyTurn);
            byte[] sent = Encoding.UTF8.GetBytes($"{{\"m\":{i}}}");
            int length = writer.WriteMessage(sent, buffer);
            byte[] message = buffer.AsSpan(0, length).ToArray();
            messages.Add(message);
            byte[] received = mutate?.Invoke(i, message.ToArray()) ?? message;
            int payloadLength = reader.ReadMessage(received, payload);
            if (mutate is null)
            {
                // A tampered msg1 payload outside psk mode is in clear: it is not caught here but
                // by the transcript hash, when msg2 fails to decrypt.
                Assert.Equal(sent, payload.AsSpan(0, payloadLength).ToArray());
            }

            Assert.Equal(i + 1, writer.MessageIndex);
            Assert.Equal(i + 1, reader.MessageIndex);
        }

        return (initiator, responder, messages);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Both_sides_end_with_the_same_hash_keys_and_peer_keys_and_the_expected_sizes(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        var (i, r, messages) = Run(pattern, initiatorStatic: si, responderStatic: sr);
        using (i)
        using (r)
        {
            Assert.True(i.IsComplete && r.IsComplete);
            Assert.Equal(i.HandshakeHash.ToArray(), r.HandshakeHash.ToArray());
            Assert.Equal(sr.PublicKey.ToArray(), i.RemoteStaticPublicKey.ToArray());
            Assert.Equal(si.PublicKey.ToArray(), r.RemoteStaticPublicKey.ToArray());
            Assert.Equal(i.LocalEphemeralPublicKey.ToArray(), r.RemoteEphemeralPublicKey.ToArray());
            Assert.Equal(r.LocalEphemeralPublicKey.ToArray(), i.RemoteEphemeralPublicKey.ToArray());
            Assert.Equal(pattern.IsPsk, i.PskMixed);
            Assert.Equal(pattern.IsPsk, r.PskMixed);

            // Payload {"m":i} is 7 bytes. psk: "e" also calls MixKey (§9.2), so msg1 is encrypted.
            int tag = 16;
            int kemPk = pattern.IsHybrid ? 1184 + (pattern.IsPsk ? tag : 0) : 0;
            int kemCt = pattern.IsHybrid ? 1088 + (pattern.IsPsk ? tag : 0) : 0;
            Assert.Equal(32 + kemPk + 7 + (pattern.IsPsk ? tag : 0), messages[0].Length);
            Assert.Equal(32 + kemCt + 48 + 7 + tag, messages[1].Length);
            Assert.Equal(48 + 7 + tag, messages[2].Length);

            var (i2r, r2i) = i.TakeTransportCiphers();
            var (ri2r, rr2i) = r.TakeTransportCiphers();
            using (i2r)
            using (r2i)
            using (ri2r)
            using (rr2i)
            {
                byte[] sealedMessage = new byte[5 + 16];
                i2r.EncryptWithAd([], "hello"u8, sealedMessage);
                byte[] opened = new byte[5];
                Assert.Equal(5, ri2r.DecryptWithAd([], sealedMessage, opened));
                Assert.Equal("hello"u8.ToArray(), opened);
                rr2i.EncryptWithAd([], "world"u8, sealedMessage);
                Assert.Equal(5, r2i.DecryptWithAd([], sealedMessage, opened));
            }

            Assert.Throws<InvalidOperationException>(() => i.TakeTransportCiphers());
        }
    }

    [Fact]
    public void Protocol_names_are_the_noise_names()
    {
        Assert.Equal("Noise_XX_25519_AESGCM_SHA256", HandshakePattern.XX.ProtocolName);
        Assert.Equal("Noise_XXpsk3_25519_AESGCM_SHA256", HandshakePattern.XXpsk3.ProtocolName);
        Assert.Equal("Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256", HandshakePattern.XXhfs.ProtocolName);
        Assert.Equal("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256", HandshakePattern.XXhfsPsk3.ProtocolName);
        Assert.True(HandshakePattern.XXhfsPsk3.IsPsk && HandshakePattern.XXhfsPsk3.IsHybrid);
        Assert.False(HandshakePattern.XX.IsPsk || HandshakePattern.XX.IsHybrid);
    }

    [Theory]
    [MemberData(nameof(HybridPatterns))]
    public void WriteTokens_then_WritePayload_is_WriteMessage_and_CurrentHash_is_the_payload_AD(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        using var initiator = new HandshakeState(pattern, true, Prologue(pattern), si);
        using var responder = new HandshakeState(pattern, false, Prologue(pattern), sr);
        if (pattern.IsPsk)
        {
            initiator.SetPsk(Psk);
            responder.SetPsk(Psk);
        }

        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        for (int i = 0; i < 3; i++)
        {
            HandshakeState writer = i % 2 == 0 ? initiator : responder;
            HandshakeState reader = i % 2 == 0 ? responder : initiator;
            int tokens = writer.WriteTokens(buffer);
            byte[] ad = writer.CurrentHash.ToArray();
            Assert.Throws<InvalidOperationException>(() => writer.WritePayload("x"u8, buffer, tokens + 1));
            int length = writer.WritePayload("x"u8, buffer, tokens);
            Assert.Equal(ad, writer.PayloadHash.ToArray());
            reader.ReadMessage(buffer.AsSpan(0, length), payload);
            Assert.Equal(ad, reader.PayloadHash.ToArray());
        }

        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void A_flipped_byte_anywhere_in_any_message_fails_the_handshake(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        int[] lengths = Run(pattern).Messages.Select(m => m.Length).ToArray();
        for (int message = 0; message < 3; message++)
        {
            // Every region (e, f, s, payload, tags) is hit: a stride through the message and its last byte.
            var positions = Enumerable.Range(0, lengths[message]).Where(p => p % 41 == 0 || p < 34 || p == lengths[message] - 1);
            foreach (int position in positions)
            {
                Exception? error = Record.Exception(() => Run(pattern, (i, m) =>
                {
                    if (i == message)
                    {
                        m[position] ^= 0x01;
                    }

                    return m;
                }));
                Assert.True(
                    error is IntegrityException or ProtocolViolationException,
                    $"{name}: message {message + 1}, byte {position} flipped gave {error?.GetType().Name ?? "a completed handshake"}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void A_truncated_message_is_a_protocol_violation_or_integrity_failure(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        for (int message = 0; message < 3; message++)
        {
            foreach (int cut in new[] { 1, 17, 31 })
            {
                Exception? error = Record.Exception(() => Run(pattern, (i, m) => i == message ? m[..Math.Max(0, m.Length - cut)] : m));
                Assert.True(error is IntegrityException or ProtocolViolationException, $"message {message + 1} cut by {cut}: {error}");
            }
        }

        Assert.Throws<ProtocolViolationException>(() => Run(pattern, (i, m) => i == 0 ? m[..31] : m));
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void An_ephemeral_key_with_bit_255_set_or_u_at_least_p_is_refused(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        byte[] p = Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        foreach (int message in new[] { 0, 1 })
        {
            var error = Assert.Throws<ProtocolViolationException>(() => Run(pattern, (i, m) =>
            {
                if (i == message)
                {
                    m[31] |= 0x80;
                }

                return m;
            }));
            Assert.Contains("ephemeral", error.Message, StringComparison.Ordinal);
            Assert.Throws<ProtocolViolationException>(() => Run(pattern, (i, m) =>
            {
                if (i == message)
                {
                    p.CopyTo(m, 0);
                }

                return m;
            }));
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void A_static_key_with_bit_255_set_is_refused_in_both_directions(string name)
    {
        HandshakePattern pattern = PatternNamed(name);
        using var honest = X25519KeyPair.Generate();
        byte[] key = new byte[32];
        key[0] = 7;
        using var canonical = X25519KeyPair.FromPrivateKey(key);
        byte[] encoding = canonical.PublicKey.ToArray();
        encoding[31] |= 0x80;

        // The same key with bit 255 set: RFC 7748 decoding would accept it as the same point.
        using var responderNonCanonical = X25519KeyPair.WithPublicKeyEncodingForTests(key, encoding);
        var error = Assert.Throws<ProtocolViolationException>(() => Run(pattern, initiatorStatic: honest, responderStatic: responderNonCanonical));
        Assert.Contains("static", error.Message, StringComparison.Ordinal);

        using var initiatorNonCanonical = X25519KeyPair.WithPublicKeyEncodingForTests(key, encoding);
        error = Assert.Throws<ProtocolViolationException>(() => Run(pattern, initiatorStatic: initiatorNonCanonical, responderStatic: honest));
        Assert.Contains("static", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_psk_fails_message_3_with_an_integrity_error_after_the_psk_was_mixed()
    {
        HandshakePattern pattern = HandshakePattern.XXhfsPsk3;
        using var si = X25519KeyPair.Generate();
        using var sr = X25519KeyPair.Generate();
        using var initiator = new HandshakeState(pattern, true, Prologue(pattern), si);
        using var responder = new HandshakeState(pattern, false, Prologue(pattern), sr);
        initiator.SetPsk(Psk);
        byte[] other = (byte[])Psk.Clone();
        other[0] ^= 1;
        responder.SetPsk(other);
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        int length = initiator.WriteMessage([], buffer);
        responder.ReadMessage(buffer.AsSpan(0, length), payload);
        length = responder.WriteMessage([], buffer);
        initiator.ReadMessage(buffer.AsSpan(0, length), payload);
        length = initiator.WriteMessage([], buffer);
        Assert.Throws<IntegrityException>(() => responder.ReadMessage(buffer.AsSpan(0, length), payload));
        Assert.True(responder.PskMixed);
    }

    [Fact]
    public void Out_of_turn_calls_and_a_missing_psk_are_caller_errors()
    {
        using var s = X25519KeyPair.Generate();
        using var responder = new HandshakeState(HandshakePattern.XXhfsPsk3, false, [], s);
        Assert.Throws<InvalidOperationException>(() => responder.WriteMessage([], new byte[4096]));
        Assert.Throws<InvalidOperationException>(() => responder.HandshakeHash.ToArray());
        Assert.Throws<ArgumentException>(() => responder.SetPsk(new byte[31]));
        using var plain = new HandshakeState(HandshakePattern.XXhfs, true, [], s);
        Assert.Throws<InvalidOperationException>(() => plain.SetPsk(Psk));
        Assert.Throws<ArgumentException>(() => plain.WriteMessage([], new byte[100]));
    }
}
