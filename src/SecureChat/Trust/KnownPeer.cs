namespace SecureChat.Trust;

/// <summary>
/// One entry of known_peers: an address and the key pinned for it, or, when
/// <see cref="Fingerprint"/> is null, the mark that the server there presented only one-time
/// identities so far.
/// </summary>
/// <param name="Address">The canonical "host:port" key (<see cref="PeerAddress.Key"/>).</param>
/// <param name="KeyType">The pinned key's type; null for a one-time-identities mark.</param>
/// <param name="Fingerprint">The pinned key's fingerprint (SHA256:…); null for a one-time-identities mark.</param>
public sealed record KnownPeer(string Address, PeerKeyType? KeyType, string? Fingerprint)
{
    /// <summary>True for the mark of an address whose server presented only one-time identities (nothing pinned).</summary>
    public bool IsEphemeral => Fingerprint is null;

    /// <summary>The key type's word in known_peers ("x25519", "p256"); null for a one-time-identities mark.</summary>
    public string? KeyTypeName => KeyType is { } type ? KnownPeers.KeyTypeName(type) : null;
}
