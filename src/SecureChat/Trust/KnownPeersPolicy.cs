using SecureChat.Session;

namespace SecureChat.Trust;

/// <summary>
/// The connecting side's <see cref="SessionOptions.VerifyPeer"/>: trust on first use over
/// <see cref="KnownPeers"/> for one address (docs/PROTOCOL.md §8). A key other than the remembered
/// one is rejected as <see cref="PeerRejection.KeyMismatch"/> before message 3, so nothing (not even
/// this side's identity) reaches the impostor; a one-time identity is accepted as
/// <see cref="PeerTrust.Ephemeral"/> whatever it claims only when nothing else is pinned; a
/// persistent key at an address that used one-time identities before is
/// <see cref="PeerTrust.Unverified"/>.
/// <para>
/// Where only a v1 (P-256) key is pinned, by an older version (docs/PROTOCOL.md §7): a peer that
/// proved it still holds that key (<see cref="PeerInfo.V1Fingerprint"/>) is
/// <see cref="PeerTrust.Known"/> and its new key replaces the pin on <see cref="Commit"/>; any
/// other is <see cref="PeerTrust.OlderVersionUnconfirmed"/> and the old pin stays, so the new key
/// is never trusted silently.
/// </para>
/// <para>
/// Deciding and remembering are separate steps: <see cref="Verify"/> only records what to
/// remember, and <see cref="Commit"/>, called by the application once the session is established
/// (SecureChatSession.ConnectAsync returns only after the passphrase is confirmed in XXpsk3),
/// writes it. A server that fails later in the handshake (wrong passphrase, an impostor without
/// it) is thus never pinned. One instance per connection attempt.
/// </para>
/// </summary>
public sealed class KnownPeersPolicy
{
    private readonly KnownPeers _store;
    private readonly PeerAddress _address;
    private readonly bool _remember;
    private PeerInfo? _accepted;

    /// <param name="knownPeersPath">The known_peers file, read here: a file that cannot be read fails before any connection.</param>
    /// <param name="address">The address connected to: the key of the entry.</param>
    /// <param name="remember">False when nothing may be written (this side uses a one-time identity).</param>
    public KnownPeersPolicy(string knownPeersPath, PeerAddress address, bool remember)
    {
        ArgumentException.ThrowIfNullOrEmpty(knownPeersPath);
        ArgumentNullException.ThrowIfNull(address);
        _store = KnownPeers.Load(knownPeersPath);
        _address = address;
        _remember = remember;
    }

    /// <summary>What known_peers said at verification; null before <see cref="Verify"/> ran.</summary>
    public PeerCheck? Check { get; private set; }

    /// <summary>The callback for <see cref="SessionOptions.VerifyPeer"/>.</summary>
    public PeerVerdict Verify(PeerInfo peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        PeerCheck check = _store.Check(_address, peer.Fingerprint, peer.V1Fingerprint);
        Check = check;
        _accepted = null;

        // A remembered key wins over whatever the payload says: "ephemeral" cannot slip past it.
        if (check.Status == PeerStatus.Changed)
        {
            return PeerVerdict.Reject(PeerRejection.KeyMismatch, "the client remembers a different key for this server");
        }

        _accepted = peer;
        return check.Status switch
        {
            PeerStatus.Known or PeerStatus.Upgradable => PeerVerdict.Accept(PeerTrust.Known),
            PeerStatus.OlderVersionUnconfirmed => PeerVerdict.Accept(PeerTrust.OlderVersionUnconfirmed),
            _ when peer.IsEphemeral => PeerVerdict.Accept(PeerTrust.Ephemeral),
            PeerStatus.EphemeralBefore => PeerVerdict.Accept(PeerTrust.Unverified),
            _ => PeerVerdict.Accept(PeerTrust.New),
        };
    }

    /// <summary>
    /// Remembers the accepted peer once its session is established: a new persistent key is pinned,
    /// a v1 pin the peer proved it holds is replaced by the new key, a first one-time identity is
    /// recorded as such; a v1 pin the peer did not prove stays as it is. Returns true when a key was
    /// pinned.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session's peer is not the one this policy accepted.</exception>
    /// <exception cref="IOException">known_peers cannot be written.</exception>
    public bool Commit(IAuthenticatedSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_accepted is null || Check is null || session.PeerFingerprint != _accepted.Fingerprint)
        {
            throw new InvalidOperationException("Commit is for the session whose peer this policy accepted.");
        }

        // An unconfirmed key is never remembered: the old pin stays until the user decides.
        if (!_remember || Check.Status is PeerStatus.Known or PeerStatus.OlderVersionUnconfirmed)
        {
            return false;
        }

        if (_accepted.IsEphemeral)
        {
            // Upgradable too: the old key vouched for a one-time key, which is not to be pinned.
            // Nothing to pin, but a persistent key here later is then not an ordinary first contact.
            if (Check.Status == PeerStatus.New)
            {
                _store.RememberEphemeral(_address);
            }

            return false;
        }

        _store.Remember(_address, _accepted.Fingerprint);
        return true;
    }
}
