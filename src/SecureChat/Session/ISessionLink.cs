using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// Seals frames into a buffer for <see cref="ISessionLink.SendFramesAsync"/>: returns their total
/// length, or -1 to send nothing.
/// </summary>
internal delegate int SealedFramesBuilder<TState>(NoiseTransport transport, Span<byte> buffer, TState state);

/// <summary>What a feature (an <see cref="IMessageHandler"/>) needs from the session that carries it.</summary>
internal interface ISessionLink
{
    /// <summary>True for the connecting side (file transfers number theirs 1, 3, 5, …; the listener 2, 4, 6, …).</summary>
    bool IsInitiator { get; }

    /// <summary>The session's options (the limits on incoming files).</summary>
    SessionOptions Options { get; }

    /// <summary>
    /// The fingerprint of the peer's authenticated static key (<see cref="PeerInfo.Fingerprint"/>): a
    /// resumable .part is bound to it. Read only once the session is built.
    /// </summary>
    string PeerFingerprint { get; }

    /// <summary>Sends one message (a control message, JSON body).</summary>
    /// <exception cref="SecureChatException">The session has failed.</exception>
    /// <exception cref="InvalidOperationException">The session was closed.</exception>
    ValueTask SendControlAsync(MessageType type, byte[] body, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a control message to be sent without waiting (for answers the read loop owes the peer).
    /// The queue is bounded: when it is full, this throws <see cref="ProtocolViolationException"/>,
    /// which ends the session. Does nothing once the session is ending.
    /// </summary>
    void EnqueueControl(MessageType type, byte[] body);

    /// <summary>
    /// Under the send lock, lets <paramref name="build"/> seal frames (at most <paramref name="maxBytes"/>
    /// bytes in all) straight into one buffer, and writes them with one call. These are bulk frames
    /// (file data): they never take the writer's reserve for texts and control messages
    /// (<see cref="FrameWriter.UrgentReserveBytes"/>).
    /// </summary>
    ValueTask SendFramesAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a piece of work on both sides: queues <paramref name="evt"/> for the application and
    /// seals a control message right after it, under the writer's turn, so neither can be lost to
    /// the other's reaction: the application cannot close before the message is sealed (its CLOSE
    /// follows it on the wire), and the peer cannot react to the message (and, say, close) before
    /// the event is queued. When the application's queue is full, nothing is sealed until it has
    /// room (<paramref name="waitForRoom"/>); a caller that must not wait for the application (one
    /// of its own calls, which may come from its event loop) has the message sealed at once and the
    /// event follows when there is room. When the session is over, the event is still delivered if
    /// the queue is open, and the message is dropped (best effort, never thrown).
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before the message was sealed (the event is delivered anyway).</exception>
    ValueTask SendThenPublishAsync(MessageType type, byte[] body, SessionEvent evt, bool waitForRoom, CancellationToken cancellationToken);

    /// <summary>Delivers an event to the application, waiting while it is behind.</summary>
    ValueTask PublishAsync(SessionEvent evt);

    /// <summary>
    /// Delivers an event of the session's end (a transfer the end cut off) without waiting: into
    /// the queue if it has room, else after it, before <see cref="SessionClosed"/>. Never dropped
    /// while the application still reads; one per transfer at most.
    /// </summary>
    void PublishAtEnd(SessionEvent evt);

    /// <summary>Delivers an event if there is room (progress may be dropped).</summary>
    void TryPublish(SessionEvent evt);
}
