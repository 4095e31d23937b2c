namespace SecureChat.Noise;

/// <summary>
/// The tokens of a Noise message pattern (§7.1), the psk modifier token (§9.1), and the KEM tokens
/// of the Hybrid Forward Secrecy extension (<c>hfs</c> modifier): <c>f</c> (send a KEM public key,
/// or the ciphertext encapsulated to the peer's one) and <c>ff</c> (MixKey of the KEM shared secret).
/// </summary>
internal enum Token
{
    E,
    S,
    EE,
    ES,
    SE,
    SS,
    Psk,
    F,
    FF,
}
