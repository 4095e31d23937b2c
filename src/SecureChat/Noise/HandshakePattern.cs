namespace SecureChat.Noise;

/// <summary>
/// A Noise handshake pattern (rev 34 §7) without pre-messages, with the full protocol name (§8)
/// for DH = 25519, cipher AESGCM, hash SHA256. Four are defined: XX (§7.5), XXpsk3 (§9.4), and
/// their hybrid forms with the <c>hfs</c> modifier of the Noise extension "Hybrid Forward Secrecy"
/// (KEM = ML-KEM-768): <c>f</c> after the first <c>e</c> of each side, <c>ff</c> after the first
/// <c>ee</c>. The plain ones exist for the published cacophony vectors; SecureChat v2 speaks the
/// hybrid ones.
/// </summary>
internal sealed class HandshakePattern
{
    /// <summary>Noise_XX_25519_AESGCM_SHA256: -> e; &lt;- e, ee, s, es; -> s, se.</summary>
    public static readonly HandshakePattern XX = new(
        "Noise_XX_25519_AESGCM_SHA256",
        [[Token.E], [Token.E, Token.EE, Token.S, Token.ES], [Token.S, Token.SE]]);

    /// <summary>Noise_XXpsk3_25519_AESGCM_SHA256: -> e; &lt;- e, ee, s, es; -> s, se, psk.</summary>
    public static readonly HandshakePattern XXpsk3 = new(
        "Noise_XXpsk3_25519_AESGCM_SHA256",
        [[Token.E], [Token.E, Token.EE, Token.S, Token.ES], [Token.S, Token.SE, Token.Psk]]);

    /// <summary>Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256: -> e, f; &lt;- e, f, ee, ff, s, es; -> s, se.</summary>
    public static readonly HandshakePattern XXhfs = new(
        "Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256",
        [[Token.E, Token.F], [Token.E, Token.F, Token.EE, Token.FF, Token.S, Token.ES], [Token.S, Token.SE]]);

    /// <summary>Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256: -> e, f; &lt;- e, f, ee, ff, s, es; -> s, se, psk.</summary>
    public static readonly HandshakePattern XXhfsPsk3 = new(
        "Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256",
        [[Token.E, Token.F], [Token.E, Token.F, Token.EE, Token.FF, Token.S, Token.ES], [Token.S, Token.SE, Token.Psk]]);

    private readonly Token[][] _messages;

    private HandshakePattern(string protocolName, Token[][] messages)
    {
        ProtocolName = protocolName;
        _messages = messages;
        IsPsk = messages.Any(m => m.Contains(Token.Psk));
        IsHybrid = messages.Any(m => m.Contains(Token.F));
    }

    /// <summary>The protocol name of §8 (for the hybrid ones, longer than 32 bytes: h starts as its SHA-256, §5.2).</summary>
    public string ProtocolName { get; }

    /// <summary>The message patterns, initiator first, alternating.</summary>
    public IReadOnlyList<Token[]> Messages => _messages;

    /// <summary>True for a PSK handshake, where every "e" token also calls MixKey(e.public_key) (§9.2).</summary>
    public bool IsPsk { get; }

    /// <summary>True with the hfs modifier: the handshake also carries an ML-KEM-768 exchange (tokens f, ff).</summary>
    public bool IsHybrid { get; }

    public override string ToString() => ProtocolName;
}
