namespace SecureChat.Session;

/// <summary>Something that happened in a session, returned by <see cref="SecureChatSession.ReceiveAsync"/>.</summary>
public abstract record SessionEvent;

/// <summary>
/// A text message from the peer, whatever protocol carried it. <paramref name="Text"/> is the peer's
/// raw text: hostile input, to be sanitised before it is printed. <paramref name="Ciphertext"/> is
/// the encrypted message (when <see cref="SessionOptions.CaptureCiphertext"/> is set, or when the
/// protocol always shows it).
/// </summary>
public sealed record TextReceived(string Text, DateTimeOffset Time, byte[]? Ciphertext) : SessionEvent
{
    /// <summary>
    /// What a protocol weaker than SecureChat's found when it checked this message; null when the
    /// protocol authenticates every message (SecureChat's: a message that fails ends the session).
    /// A message whose check failed is still delivered, so that it can be shown marked as such.
    /// </summary>
    public TextCheck? Check { get; init; }

    /// <summary>The sender's own time stamp for the message, when the protocol carries one (hostile input, sanitise before printing).</summary>
    public string? SenderTimestamp { get; init; }
}

/// <summary>How a protocol without authenticated messages checked one message.</summary>
public enum TextCheckKind
{
    /// <summary>A signature under the peer's key (which itself may be unauthenticated).</summary>
    Signature,

    /// <summary>A checksum anyone can recompute: it detects garbling, not tampering.</summary>
    Checksum,
}

/// <summary>The outcome of a <see cref="TextCheckKind"/> check on one received message.</summary>
public sealed record TextCheck(TextCheckKind Kind, bool Passed);

/// <summary>
/// The session ended cleanly: <paramref name="ByPeer"/> tells who sent the authenticated CLOSE;
/// <paramref name="Reason"/> is the peer's optional reason (hostile input, sanitise before printing).
/// When this event is returned, every key of the session has been erased.
/// </summary>
public sealed record SessionClosed(bool ByPeer, string? Reason) : SessionEvent;

/// <summary>What <see cref="SecureChatSession.SendTextAsync"/> sent.</summary>
public sealed record SentText(DateTimeOffset Time, byte[]? Ciphertext);

/// <summary>Data from the peer that could not be read as a message, in a protocol that cannot tell a fault from noise; the chat goes on.</summary>
public sealed record UnreadableData(string Reason) : SessionEvent;

/// <summary>The peer sent something this side ignored (an invalid file-transfer message); the session goes on.</summary>
public sealed record PeerWarning(string Message) : SessionEvent;
