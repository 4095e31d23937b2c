using SecureChat.Noise;

namespace SecureChat.Noise.Legacy;

/// <summary>
/// A handshake pattern without pre-messages. Only the two this protocol uses are defined:
/// XX (§7.5) and XXpsk3 (§9.4: the psk token appended to the third message).
/// </summary>
internal sealed class P256HandshakePattern
{
    /// <summary>XX: -> e; &lt;- e, ee, s, es; -> s, se.</summary>
    public static readonly P256HandshakePattern XX = new(
        "XX",
        [[Token.E], [Token.E, Token.EE, Token.S, Token.ES], [Token.S, Token.SE]]);

    /// <summary>XXpsk3: -> e; &lt;- e, ee, s, es; -> s, se, psk.</summary>
    public static readonly P256HandshakePattern XXpsk3 = new(
        "XXpsk3",
        [[Token.E], [Token.E, Token.EE, Token.S, Token.ES], [Token.S, Token.SE, Token.Psk]]);

    private P256HandshakePattern(string name, Token[][] messages)
    {
        Name = name;
        Messages = messages;
        IsPsk = messages.Any(m => m.Contains(Token.Psk));
    }

    public string Name { get; }

    public IReadOnlyList<Token[]> Messages { get; }

    /// <summary>True for a PSK handshake, where every "e" token also calls MixKey(e.public_key) (§9.2).</summary>
    public bool IsPsk { get; }

    /// <summary>The protocol name of §8: Noise_PATTERN_DH_CIPHER_HASH.</summary>
    public string ProtocolName => $"Noise_{Name}_P256_AESGCM_SHA256";
}
