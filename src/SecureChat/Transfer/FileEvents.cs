using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>Which way a file travels, seen from this side.</summary>
public enum TransferDirection
{
    /// <summary>From the peer to us.</summary>
    Incoming,

    /// <summary>From us to the peer.</summary>
    Outgoing,
}

/// <summary>
/// The peer offers a file. <paramref name="Name"/> is already reduced to a safe file name
/// (<see cref="SafeFileName"/>); accept it with <see cref="SecureChatSession.AcceptFileAsync"/>
/// or refuse it with <see cref="SecureChatSession.RejectFileAsync"/>. <paramref name="Sha256"/> is null
/// when the sender hashes the file while it sends it (the check then happens at the end all the same).
/// </summary>
public sealed record FileOffered(uint Id, string Name, long Size, string? Sha256) : SessionEvent;

/// <summary>The peer accepted our offer and wants the data from <paramref name="Offset"/> on (more than 0 when it resumes).</summary>
public sealed record FileAccepted(uint Id, long Offset) : SessionEvent;

/// <summary>The peer refused our offer. <paramref name="Reason"/> is hostile text: sanitise before printing.</summary>
public sealed record FileRejected(uint Id, string Reason) : SessionEvent;

/// <summary>How far a transfer has got: at most a few of these a second per transfer, and one at the end.</summary>
public sealed record FileProgress(uint Id, TransferDirection Direction, long Bytes, long Total, double BytesPerSecond) : SessionEvent;

/// <summary>
/// A transfer finished. Incoming: the file is at <paramref name="Path"/> and its SHA-256 matched the
/// sender's (from the offer or its FILE_END). Outgoing: the peer confirmed that its copy matches (<paramref name="Verified"/>).
/// <paramref name="ResumedFrom"/> is the offset the transfer continued from.
/// </summary>
public sealed record FileCompleted(uint Id, TransferDirection Direction, string Path, string Sha256, bool Verified, long ResumedFrom) : SessionEvent;

/// <summary>A transfer failed or was cancelled; <paramref name="Reason"/> says why (from the peer: hostile text).</summary>
public sealed record FileFailed(uint Id, TransferDirection Direction, string Reason) : SessionEvent;

/// <summary>What <see cref="SecureChatSession.SendFileAsync"/> offered; <paramref name="Sha256"/> is null: it is computed while the file is sent (see <see cref="FileCompleted"/>).</summary>
public sealed record FileOfferSent(uint Id, string Name, long Size, string? Sha256, string Path);
