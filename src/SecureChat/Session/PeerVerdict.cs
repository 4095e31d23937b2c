namespace SecureChat.Session;

/// <summary>
/// Decides whether to go on with a peer; called by the handshake once the peer's static key is
/// authenticated (<see cref="SessionOptions.VerifyPeer"/>). Like SslStream's
/// RemoteCertificateValidationCallback: the caller never re-checks afterwards.
/// </summary>
/// <param name="peer">What the handshake has authenticated so far.</param>
/// <returns><see cref="PeerVerdict.Accept(PeerTrust)"/> or <see cref="PeerVerdict.Reject"/>.</returns>
public delegate PeerVerdict PeerVerificationCallback(PeerInfo peer);

/// <summary>The outcome of a <see cref="PeerVerificationCallback"/>: go on (and how far the peer is trusted), or end the handshake.</summary>
public sealed class PeerVerdict
{
    private PeerVerdict(PeerTrust trust, PeerRejection? rejection, string message, string? notice = null)
    {
        Trust = trust;
        Rejection = rejection;
        Message = message;
        Notice = notice;
    }

    /// <summary>True unless the peer was rejected.</summary>
    public bool IsAccepted => Rejection is null;

    /// <summary>How far an accepted peer is trusted (shown to the user as the peer status).</summary>
    public PeerTrust Trust { get; }

    /// <summary>Why the peer was rejected; null when accepted.</summary>
    public PeerRejection? Rejection { get; }

    /// <summary>For a rejection, the text sent to the peer (responder) and put in the exception. Never a secret.</summary>
    public string Message { get; }

    /// <summary>
    /// For an accepted peer, something this side's user should do or know (e.g. "add the peer's new
    /// fingerprint to the authorized peers file"); null when there is nothing. Shown locally, never
    /// sent to the peer.
    /// </summary>
    public string? Notice { get; }

    /// <summary>Goes on with the peer.</summary>
    public static PeerVerdict Accept(PeerTrust trust) => new(trust, null, "");

    /// <summary>Goes on with the peer, with a <see cref="Notice"/> for this side's user.</summary>
    /// <param name="trust">How far the peer is trusted.</param>
    /// <param name="notice">What the user should do or know; shown locally, never sent.</param>
    public static PeerVerdict Accept(PeerTrust trust, string notice)
    {
        ArgumentException.ThrowIfNullOrEmpty(notice);
        return new(trust, null, "", notice);
    }

    /// <summary>
    /// Ends the handshake: an initiator closes the connection before message 3 (its identity is
    /// never sent); a responder sends the authenticated refusal CLOSE of docs/PROTOCOL.md §8.
    /// </summary>
    /// <param name="reason">Why.</param>
    /// <param name="message">A short explanation for the peer, without secrets (e.g. "your fingerprint is not in this server's authorized peers").</param>
    public static PeerVerdict Reject(PeerRejection reason, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(PeerTrust.New, reason, message);
    }
}

/// <summary>How far an accepted peer is trusted (the tool's "peer_status").</summary>
public enum PeerTrust
{
    /// <summary>Nothing vouches for the key yet: first contact, or no policy.</summary>
    New,

    /// <summary>The key matches what was remembered or listed for this peer.</summary>
    Known,

    /// <summary>The peer says its key is for this session only: nothing to remember.</summary>
    Ephemeral,

    /// <summary>A persistent key at an address that used only one-time identities before: never verified.</summary>
    Unverified,

    /// <summary>
    /// The key remembered for this peer was recorded by an older version (a v1, P-256 pin), and the
    /// peer did not prove that it still holds it (docs/PROTOCOL.md §7): the new key is not confirmed
    /// until the people compare the session code, and it is not remembered.
    /// </summary>
    OlderVersionUnconfirmed,

    /// <summary>
    /// Authenticated by a one-time code (docs/PROTOCOL.md §4): whoever completed the handshake knew
    /// the code, so nothing needs remembering (the key is usually a one-time one as well).
    /// </summary>
    Code,
}

/// <summary>Why a peer was rejected (the refusal CLOSE reasons of docs/PROTOCOL.md §8).</summary>
public enum PeerRejection
{
    /// <summary>The peer's fingerprint is not among those allowed (the listener's authorized peers).</summary>
    NotAuthorized,

    /// <summary>A different key is remembered for this peer: possibly a man in the middle.</summary>
    KeyMismatch,
}
