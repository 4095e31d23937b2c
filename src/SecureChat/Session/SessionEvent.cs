namespace SecureChat.Session;

/// <summary>Something that happened in a session, returned by <see cref="SecureChatSession.ReceiveAsync"/>.</summary>
public abstract record SessionEvent;

/// <summary>
/// A text message from the peer. <paramref name="Text"/> is the peer's raw text: hostile input,
/// to be sanitised before it is printed. <paramref name="Ciphertext"/> is the encrypted frame
/// (when <see cref="SessionOptions.CaptureCiphertext"/> is set).
/// </summary>
public sealed record TextReceived(string Text, DateTimeOffset Time, byte[]? Ciphertext) : SessionEvent;

/// <summary>
/// The session ended cleanly: <paramref name="ByPeer"/> tells who sent the authenticated CLOSE;
/// <paramref name="Reason"/> is the peer's optional reason (hostile input, sanitise before printing).
/// When this event is returned, every key of the session has been erased.
/// </summary>
public sealed record SessionClosed(bool ByPeer, string? Reason) : SessionEvent;

/// <summary>What <see cref="SecureChatSession.SendTextAsync"/> sent.</summary>
public sealed record SentText(DateTimeOffset Time, byte[]? Ciphertext);

/// <summary>
/// A seed-rsa message (compatibility mode): the text, the 256-byte RSA-OAEP ciphertext, and
/// whether the RSA-PSS signature over the text verified under the peer's key. A message whose
/// signature fails is still shown, marked as such — never silently accepted.
/// </summary>
public sealed record SeedRsaTextReceived(string Text, DateTimeOffset Time, byte[] Ciphertext, bool SignatureValid) : SessionEvent;

/// <summary>
/// A seed-aes message (compatibility mode): the text, the sender's "HH:MM:SS" timestamp, and
/// whether its SHA-256 "hash" matches the text (which anyone can recompute: it detects garbling,
/// not tampering).
/// </summary>
public sealed record SeedAesTextReceived(string Text, DateTimeOffset Time, string Timestamp, bool Verified) : SessionEvent;

/// <summary>Data from the peer that could not be read as a message (compatibility modes); the chat goes on.</summary>
public sealed record UnreadableData(string Reason) : SessionEvent;
