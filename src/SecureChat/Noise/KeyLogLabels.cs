namespace SecureChat.Noise;

/// <summary>The labels of the debugging key log (docs/PROTOCOL.md, "Key log").</summary>
internal static class KeyLogLabels
{
    /// <summary>The chaining key ck after each MixKey / MixKeyAndHash.</summary>
    public const string ChainingKey = "CHAINING_KEY";

    /// <summary>The handshake CipherState's key k after each MixKey / MixKeyAndHash.</summary>
    public const string HandshakeKey = "HANDSHAKE_KEY";

    /// <summary>The passphrase-derived psk.</summary>
    public const string Psk = "PSK";

    /// <summary>The initiator-to-responder transport key, after Split() and after every rekey.</summary>
    public const string TransportInitiatorToResponder = "TRANSPORT_KEY_I2R";

    /// <summary>The responder-to-initiator transport key, after Split() and after every rekey.</summary>
    public const string TransportResponderToInitiator = "TRANSPORT_KEY_R2I";
}
