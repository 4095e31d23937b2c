using SecureChat.Session;

namespace SecureChat;

/// <summary>
/// The handshake ended on a trust decision: this side's <see cref="SessionOptions.VerifyPeer"/>
/// rejected the peer (<see cref="ByPeer"/> false), or the peer's REFUSE 6 or 7 (docs/PROTOCOL.md §2.2),
/// which is unauthenticated, says it rejects this side (<see cref="ByPeer"/> true).
/// </summary>
public sealed class PeerRejectedException : SecureChatException
{
    /// <summary>Creates the exception.</summary>
    public PeerRejectedException(PeerRejection reason, bool byPeer, string message, PeerInfo? peer = null, string? peerReason = null)
        : base(message)
    {
        Reason = reason;
        ByPeer = byPeer;
        Peer = peer;
        PeerReason = peerReason;
    }

    /// <summary>Why.</summary>
    public PeerRejection Reason { get; }

    /// <summary>True when the peer rejected this side; false when this side's policy rejected the peer.</summary>
    public bool ByPeer { get; }

    /// <summary>The rejected peer as the handshake authenticated it (when this side rejected it).</summary>
    public PeerInfo? Peer { get; }

    /// <summary>The reason text the peer sent (when it rejected this side). Hostile input: sanitise it before printing.</summary>
    public string? PeerReason { get; }

    /// <inheritdoc/>
    private protected override SecureChatException CopyCore() => new PeerRejectedException(Reason, ByPeer, Message, Peer, PeerReason);

    /// <inheritdoc/>
    public override SessionFault Fault => SessionFault.Authentication;
}
