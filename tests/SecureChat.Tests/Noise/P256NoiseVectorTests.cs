using System.Text.Json;
using SecureChat.Crypto;
using SecureChat.Identity;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;

namespace SecureChat.Tests.Noise;

/// <summary>
/// Deterministic handshakes from fixed keys, produced by the independent Python implementation
/// (Interop/make_vectors.py, data in Vectors/data/securechat_noise_vectors.json). The C# state
/// machine must reproduce every byte of every message, the handshake hash, the session code, the
/// fingerprints, the passphrase-derived psk and the rekeyed transport messages.
/// </summary>
public class P256NoiseVectorTests
{
    private static readonly JsonElement Cases = LoadCases();

    private static JsonElement LoadCases()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "data", "securechat_noise_vectors.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("cases").Clone();
    }

    public static TheoryData<string> CaseNames =>
        [.. Cases.EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    private static byte[] Hex(JsonElement c, string field) => Convert.FromHexString(c.GetProperty(field).GetString()!);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Handshake_and_transport_reproduce_the_python_vectors_byte_for_byte(string name)
    {
        JsonElement c = Cases.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        P256HandshakePattern pattern = name == "XX" ? P256HandshakePattern.XX : P256HandshakePattern.XXpsk3;
        Assert.Equal(c.GetProperty("protocol_name").GetString(), pattern.ProtocolName);
        byte[] prologue = Hex(c, "prologue");

        using var si = P256KeyPair.FromPrivateScalar(Hex(c, "init_static"));
        using var sr = P256KeyPair.FromPrivateScalar(Hex(c, "resp_static"));
        Assert.Equal(Hex(c, "init_static_public"), si.PublicKey.ToArray());
        Assert.Equal(Hex(c, "resp_static_public"), sr.PublicKey.ToArray());
        Assert.Equal(c.GetProperty("init_fingerprint").GetString(), Fingerprint.Of(si.PublicKey));
        Assert.Equal(c.GetProperty("resp_fingerprint").GetString(), Fingerprint.Of(sr.PublicKey));

        using var initiator = new P256HandshakeState(pattern, true, prologue, si, fixedEphemeral: P256KeyPair.FromPrivateScalar(Hex(c, "init_ephemeral")));
        using var responder = new P256HandshakeState(pattern, false, prologue, sr, fixedEphemeral: P256KeyPair.FromPrivateScalar(Hex(c, "resp_ephemeral")));
        byte[][] expected = [.. c.GetProperty("messages").EnumerateArray().Select(m => Convert.FromHexString(m.GetString()!))];
        byte[][] payloads = [[], Hex(c, "msg2_payload"), Hex(c, "msg3_payload")];
        byte[] buffer = new byte[65535];
        byte[] payload = new byte[65535];

        for (int i = 0; i < 3; i++)
        {
            P256HandshakeState writer = i % 2 == 0 ? initiator : responder;
            P256HandshakeState reader = i % 2 == 0 ? responder : initiator;
            if (i == 2 && pattern.IsPsk)
            {
                byte[] psk = DerivePsk(c, initiator.LocalEphemeralPublicKey.ToArray(), responder.LocalEphemeralPublicKey.ToArray());
                Assert.Equal(Hex(c, "psk"), psk);
                initiator.SetPsk(psk);
                responder.SetPsk(psk);
            }

            int length = writer.WriteMessage(payloads[i], buffer);
            Assert.Equal(Convert.ToHexString(expected[i]), Convert.ToHexString(buffer, 0, length));
            int payloadLength = reader.ReadMessage(expected[i], payload);
            Assert.Equal(payloads[i], payload.AsSpan(0, payloadLength).ToArray());
        }

        Assert.Equal(Hex(c, "handshake_hash"), initiator.HandshakeHash.ToArray());
        Assert.Equal(Hex(c, "handshake_hash"), responder.HandshakeHash.ToArray());
        Assert.Equal(c.GetProperty("sas").GetString(), SessionCode.FromHandshakeHash(initiator.HandshakeHash));

        var (i2r, r2i) = initiator.TakeTransportCiphers();
        var (ri2r, rr2i) = responder.TakeTransportCiphers();
        using (i2r)
        using (r2i)
        using (ri2r)
        using (rr2i)
        {
            int count = 0;
            foreach (JsonElement message in c.GetProperty("transport").EnumerateArray())
            {
                bool fromInitiator = message.GetProperty("sender").GetString() == "initiator";
                CipherState send = fromInitiator ? i2r : rr2i;
                CipherState receive = fromInitiator ? ri2r : r2i;
                byte[] plaintext = Hex(message, "plaintext");
                byte[] ciphertext = new byte[plaintext.Length + 16];
                send.EncryptWithAd([], plaintext, ciphertext);
                send.Rekey();
                Assert.Equal(message.GetProperty("ciphertext").GetString(), Convert.ToHexString(ciphertext).ToLowerInvariant());
                byte[] opened = new byte[plaintext.Length];
                Assert.Equal(plaintext.Length, receive.DecryptWithAd([], ciphertext, opened));
                receive.Rekey();
                Assert.Equal(plaintext, opened);
                count++;
            }

            Assert.True(count >= 6);
        }
    }

    private static byte[] DerivePsk(JsonElement c, byte[] initiatorEphemeral, byte[] responderEphemeral)
    {
        using Passphrase passphrase = Passphrase.FromUtf8(Hex(c, "passphrase_utf8_hex"));
        byte[] psk = new byte[32];
        passphrase.DerivePsk(initiatorEphemeral, responderEphemeral, psk);
        return psk;
    }
}
