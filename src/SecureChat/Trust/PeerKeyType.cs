namespace SecureChat.Trust;

/// <summary>
/// The kind of static identity key a known_peers entry pins (docs/PROTOCOL.md §7). Its fingerprint
/// has the same form either way ("SHA256:" and 43 base64 characters), computed over a different key.
/// </summary>
public enum PeerKeyType
{
    /// <summary>A protocol v1 identity: a 65-byte uncompressed P-256 point ("p256" in known_peers, and every untyped line).</summary>
    P256,

    /// <summary>A protocol v2 identity: a 32-byte X25519 public key ("x25519" in known_peers).</summary>
    X25519,
}
