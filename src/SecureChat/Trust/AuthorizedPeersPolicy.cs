using SecureChat.Session;

namespace SecureChat.Trust;

/// <summary>
/// A listener's <see cref="SessionOptions.VerifyPeer"/> over <see cref="AuthorizedPeers"/>: a listed
/// fingerprint is <see cref="PeerTrust.Known"/>, any other is rejected as
/// <see cref="PeerRejection.NotAuthorized"/> (the peer gets the refusal CLOSE, docs/PROTOCOL.md §8).
/// </summary>
public sealed class AuthorizedPeersPolicy(AuthorizedPeers authorized)
{
    /// <summary>The text sent to a peer that is not listed.</summary>
    public const string RefusalMessage = "your fingerprint is not in this server's authorized peers";

    private readonly AuthorizedPeers _authorized = authorized ?? throw new ArgumentNullException(nameof(authorized));

    /// <summary>The callback for <see cref="SessionOptions.VerifyPeer"/>.</summary>
    public PeerVerdict Verify(PeerInfo peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return _authorized.IsAuthorized(peer.Fingerprint)
            ? PeerVerdict.Accept(PeerTrust.Known)
            : PeerVerdict.Reject(PeerRejection.NotAuthorized, RefusalMessage);
    }
}
