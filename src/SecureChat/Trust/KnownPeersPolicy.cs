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
        PeerCheck check = _store.Check(_address, peer.Fingerprint);
        Check = check;
        _accepted = null;

        // A remembered key wins over whatever the payload says: "ephemeral" cannot slip past it.
        if (check.Status == PeerStatus.Changed)
        {
            return PeerVerdict.Reject(PeerRejection.KeyMismatch, "the client remembers a different key for this server");
        }

        _accepted = peer;
        return check.Status == PeerStatus.Known ? PeerVerdict.Accept(PeerTrust.Known)
            : peer.IsEphemeral ? PeerVerdict.Accept(PeerTrust.Ephemeral)
            : PeerVerdict.Accept(check.Status == PeerStatus.EphemeralBefore ? PeerTrust.Unverified : PeerTrust.New);
    }

    /// <summary>
    /// Remembers the accepted peer once its session is established: a new persistent key is pinned,
    /// a first one-time identity is recorded as such. Returns true when a key was pinned.
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

        if (!_remember || Check.Status == PeerStatus.Known)
        {
            return false;
        }

        if (_accepted.IsEphemeral)
        {
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
