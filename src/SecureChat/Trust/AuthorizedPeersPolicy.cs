using SecureChat.Session;

namespace SecureChat.Trust;

/// <summary>
/// A listener's <see cref="SessionOptions.VerifyPeer"/> over <see cref="AuthorizedPeers"/>: a listed
/// fingerprint is <see cref="PeerTrust.Known"/>, any other is rejected as
/// <see cref="PeerRejection.NotAuthorized"/> (the peer gets the refusal CLOSE, docs/PROTOCOL.md §8).
/// A listed v1 (P-256) fingerprint, from before protocol v2, admits a peer only when it proved in
/// the handshake that it holds that key (<see cref="PeerInfo.V1Fingerprint"/>, docs/PROTOCOL.md §7);
/// the verdict's <see cref="PeerVerdict.Notice"/> then asks the owner to add the new fingerprint.
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
        if (_authorized.IsAuthorized(peer.Fingerprint))
        {
            return PeerVerdict.Accept(PeerTrust.Known);
        }

        // Only the verified cross-signature counts: a v1 entry is never matched by a claim.
        if (peer.V1Fingerprint is { } v1 && _authorized.IsAuthorized(v1))
        {
            return PeerVerdict.Accept(PeerTrust.Known, UpgradeNotice(peer.Fingerprint, v1, _authorized.CommentFor(v1), _authorized.Path));
        }

        return PeerVerdict.Reject(PeerRejection.NotAuthorized, RefusalMessage);
    }

    /// <summary>The notice for a peer admitted by the v1 fingerprint it proved: which line to add, and where.</summary>
    internal static string UpgradeNotice(string fingerprint, string v1Fingerprint, string? comment, string path)
    {
        string line = string.IsNullOrEmpty(comment) ? fingerprint : $"{fingerprint} {comment}";
        return $"the peer {fingerprint} was let in by the older (v1) fingerprint {v1Fingerprint} listed in {path}, "
            + $"whose key it proved it still holds. Add its new fingerprint to that file, as the line: {line}";
    }
}
