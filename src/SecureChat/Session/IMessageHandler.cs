using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// A feature that owns a range of transport message types (docs/PROTOCOL.md §4; files own
/// 0x10–0x1F). The session decrypts each frame, handles its own types (TEXT, CLOSE, PING, PONG)
/// and hands every other message whose type lies in [<see cref="FirstType"/>, <see cref="LastType"/>]
/// to the handler that registered that range; a type nobody registered is ignored (room to grow).
/// Handlers are created, one per session, in <see cref="SessionFeatures"/>, each with an
/// <see cref="ISessionLink"/>: its view of the session.
/// </summary>
internal interface IMessageHandler
{
    /// <summary>The first type of the range this handler owns.</summary>
    MessageType FirstType { get; }

    /// <summary>The last type of the range (inclusive).</summary>
    MessageType LastType { get; }

    /// <summary>
    /// One authenticated message of the handler's range, called from the session's one reader
    /// loop, in order. <paramref name="body"/> is wiped after the call: copy what must outlive it.
    /// Returns the event to deliver to the application (a <see cref="ReaderWork"/> for work the
    /// reader loop must await before reading on), or null. Throwing a <see cref="SecureChatException"/>
    /// ends the session with that fault.
    /// </summary>
    SessionEvent? OnMessage(MessageType type, ReadOnlySpan<byte> body);

    /// <summary>The session has ended (<paramref name="faulted"/>: by a fault, not a close): stop everything, release every resource.</summary>
    void OnSessionEnded(bool faulted);
}

/// <summary>
/// Work a handler gives back to the reader loop (say, a chunk for a file writer): the loop awaits
/// it before it reads the next frame, which pushes back on the socket. The wait does not count as
/// silence from the peer. Never delivered to the application.
/// </summary>
internal abstract record ReaderWork : SessionEvent
{
    /// <summary>Does the work; cancelled when the session ends.</summary>
    public abstract ValueTask RunAsync(CancellationToken cancellationToken);
}
