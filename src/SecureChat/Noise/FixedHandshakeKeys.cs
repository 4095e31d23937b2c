namespace SecureChat.Noise;

/// <summary>
/// Fixed key material for a deterministic handshake: test vectors only. Null fields are generated
/// as usual. <paramref name="EphemeralPrivateKey"/>: the 32-byte X25519 ephemeral private key;
/// <paramref name="KemSeed"/>: the initiator's 64-byte ML-KEM-768 key seed
/// (<c>crypto_kem_mlkem768_seed_keypair</c>); <paramref name="KemEncapsulationSeed"/>: the
/// responder's 32-byte encapsulation seed (<c>crypto_kem_mlkem768_enc_deterministic</c>).
/// </summary>
internal sealed record FixedHandshakeKeys(byte[]? EphemeralPrivateKey, byte[]? KemSeed, byte[]? KemEncapsulationSeed);
