using System.Text.Json;
using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Tests.Noise;

/// <summary>
/// The v2 Noise state machine against published and project vectors (Vectors/data/noise): the
/// cacophony vectors for Noise_XX(psk3)_25519_AESGCM_SHA256 (the state machine without hfs) and
/// securechat-v2-hfs.json for the two hybrid names (every transport message followed by Rekey of
/// its direction). Every message must be reproduced byte for byte by its writer and decrypt to the
/// payload at its reader, and both sides must end with the vector's handshake hash.
/// </summary>
public class NoiseVectorTests
{
    private static IEnumerable<JsonElement> Vectors(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "data", "noise", file);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. document.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone())];
    }

    private static JsonElement Vector(string file, string protocolName) =>
        Vectors(file).Single(v => v.GetProperty("protocol_name").GetString() == protocolName);

    private static byte[] Hex(JsonElement v, string field) => Convert.FromHexString(v.GetProperty(field).GetString()!);

    private static byte[]? OptionalHex(JsonElement v, string field) =>
        v.TryGetProperty(field, out JsonElement value) ? Convert.FromHexString(value.GetString()!) : null;

    private static HandshakePattern PatternNamed(string protocolName) =>
        new[] { HandshakePattern.XX, HandshakePattern.XXpsk3, HandshakePattern.XXhfs, HandshakePattern.XXhfsPsk3 }
            .Single(p => p.ProtocolName == protocolName);

    [Theory]
    [InlineData("Noise_XX_25519_AESGCM_SHA256")]
    [InlineData("Noise_XXpsk3_25519_AESGCM_SHA256")]
    public void Cacophony_vectors_are_reproduced_byte_for_byte(string protocolName) =>
        Run(Vector("cacophony-25519-aesgcm-sha256.json", protocolName), hybridLayout: false);

    [Theory]
    [InlineData("Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256")]
    [InlineData("Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256")]
    public void Hybrid_vectors_are_reproduced_byte_for_byte_with_rekey_after_each_transport_message(string protocolName) =>
        Run(Vector("securechat-v2-hfs.json", protocolName), hybridLayout: true);

    [Theory]
    [InlineData("Noise_XX_25519_AESGCM_SHA256")]
    [InlineData("Noise_XXpsk3_25519_AESGCM_SHA256")]
    public void Cacophony_vectors_are_reproduced_on_the_dotnet_AesGcm_path_too(string protocolName)
    {
        bool before = Aes256Gcm.ForceManagedImplementation;
        Aes256Gcm.ForceManagedImplementation = true;
        try
        {
            Run(Vector("cacophony-25519-aesgcm-sha256.json", protocolName), hybridLayout: false);
        }
        finally
        {
            Aes256Gcm.ForceManagedImplementation = before;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hybrid_vector_is_reproduced_on_the_dotnet_AesGcm_path_too(bool psk)
    {
        bool before = Aes256Gcm.ForceManagedImplementation;
        Aes256Gcm.ForceManagedImplementation = true;
        try
        {
            string name = psk ? HandshakePattern.XXhfsPsk3.ProtocolName : HandshakePattern.XXhfs.ProtocolName;
            Run(Vector("securechat-v2-hfs.json", name), hybridLayout: true);
        }
        finally
        {
            Aes256Gcm.ForceManagedImplementation = before;
        }
    }

    /// <param name="hybridLayout">
    /// False for cacophony: all messages alternate from the initiator on, so the first transport
    /// message after XX's three is the responder's, and there is no rekey. True for
    /// securechat-v2-hfs.json: its transport messages start again with the initiator's (the payloads
    /// say so: "transport 1 from initiator", "transport 2 from responder", ...), and each is
    /// followed by Rekey() of its direction.
    /// </param>
    private static void Run(JsonElement v, bool hybridLayout)
    {
        HandshakePattern pattern = PatternNamed(v.GetProperty("protocol_name").GetString()!);
        using var si = X25519KeyPair.FromPrivateKey(Hex(v, "init_static"));
        using var sr = X25519KeyPair.FromPrivateKey(Hex(v, "resp_static"));
        var initiatorKeys = new FixedHandshakeKeys(Hex(v, "init_ephemeral"), OptionalHex(v, "init_kem_seed"), null);
        var responderKeys = new FixedHandshakeKeys(Hex(v, "resp_ephemeral"), null, OptionalHex(v, "resp_kem_encaps_seed"));
        using var initiator = new HandshakeState(pattern, true, Hex(v, "init_prologue"), si, fixedKeys: initiatorKeys);
        using var responder = new HandshakeState(pattern, false, Hex(v, "resp_prologue"), sr, fixedKeys: responderKeys);
        if (pattern.IsPsk)
        {
            initiator.SetPsk(Convert.FromHexString(v.GetProperty("init_psks")[0].GetString()!));
            responder.SetPsk(Convert.FromHexString(v.GetProperty("resp_psks")[0].GetString()!));
        }

        var messages = v.GetProperty("messages").EnumerateArray().Select(m => (Payload: Hex(m, "payload"), Ciphertext: Hex(m, "ciphertext"))).ToList();
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        byte[] payload = new byte[HandshakeState.MaxMessageLength];
        int handshakeMessages = pattern.Messages.Count;
        for (int i = 0; i < handshakeMessages; i++)
        {
            HandshakeState writer = i % 2 == 0 ? initiator : responder;
            HandshakeState reader = i % 2 == 0 ? responder : initiator;
            int length = writer.WriteMessage(messages[i].Payload, buffer);
            Assert.Equal(Convert.ToHexStringLower(messages[i].Ciphertext), Convert.ToHexStringLower(buffer.AsSpan(0, length)));
            int payloadLength = reader.ReadMessage(messages[i].Ciphertext, payload);
            Assert.Equal(messages[i].Payload, payload.AsSpan(0, payloadLength).ToArray());
            Assert.Equal(writer.PayloadHash.ToArray(), reader.PayloadHash.ToArray());
        }

        Assert.True(initiator.IsComplete && responder.IsComplete);
        Assert.Equal(Hex(v, "handshake_hash"), initiator.HandshakeHash.ToArray());
        Assert.Equal(Hex(v, "handshake_hash"), responder.HandshakeHash.ToArray());
        Assert.Equal(initiator.RemoteStaticPublicKey.ToArray(), sr.PublicKey.ToArray());
        Assert.Equal(responder.RemoteStaticPublicKey.ToArray(), si.PublicKey.ToArray());

        var (i2r, r2i) = initiator.TakeTransportCiphers();
        var (ri2r, rr2i) = responder.TakeTransportCiphers();
        using (i2r)
        using (r2i)
        using (ri2r)
        using (rr2i)
        {
            for (int i = handshakeMessages; i < messages.Count; i++)
            {
                bool fromInitiator = hybridLayout ? (i - handshakeMessages) % 2 == 0 : i % 2 == 0;
                CipherState send = fromInitiator ? i2r : rr2i;
                CipherState receive = fromInitiator ? ri2r : r2i;
                byte[] plaintext = messages[i].Payload;
                byte[] ciphertext = new byte[plaintext.Length + Aes256Gcm.TagSize];
                send.EncryptWithAd([], plaintext, ciphertext);
                Assert.Equal(Convert.ToHexStringLower(messages[i].Ciphertext), Convert.ToHexStringLower(ciphertext));
                byte[] opened = new byte[plaintext.Length];
                Assert.Equal(plaintext.Length, receive.DecryptWithAd([], messages[i].Ciphertext, opened));
                Assert.Equal(plaintext, opened);
                if (hybridLayout)
                {
                    send.Rekey();
                    receive.Rekey();
                }
            }
        }
    }
}
