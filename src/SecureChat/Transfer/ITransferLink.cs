using Microsoft.Win32.SafeHandles;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>What file transfers need from the session that carries them.</summary>
internal interface ITransferLink
{
    /// <summary>True for the connecting side (it numbers its transfers 1, 3, 5, …; the listener 2, 4, 6, …).</summary>
    bool IsInitiator { get; }

    /// <summary>The session's options (the limits on incoming files).</summary>
    SessionOptions Options { get; }

    /// <summary>Sends a control message (JSON body).</summary>
    ValueTask SendControlAsync(MessageType type, byte[] body, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a control message to be sent without waiting (for answers the read loop owes the peer).
    /// The queue is bounded: when it is full, this throws <see cref="ProtocolViolationException"/>,
    /// which ends the session. Does nothing once the session is ending.
    /// </summary>
    void EnqueueControl(MessageType type, byte[] body);

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes of <paramref name="file"/> at <paramref name="offset"/>
    /// straight into a FILE_DATA frame and sends it; returns how many bytes were read (0 at the end
    /// of the file, in which case nothing is sent).
    /// </summary>
    ValueTask<int> SendDataAsync(uint id, SafeFileHandle file, long offset, int count, CancellationToken cancellationToken);

    /// <summary>Delivers an event to the application, waiting while it is behind.</summary>
    ValueTask PublishAsync(SessionEvent evt);

    /// <summary>Delivers an event if there is room (progress may be dropped).</summary>
    void TryPublish(SessionEvent evt);
}
