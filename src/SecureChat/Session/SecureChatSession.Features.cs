using System.Threading.Channels;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// The session's side of its features (<see cref="IMessageHandler"/>): it dispatches each message
/// type outside its own to the handler that registered the type's range, and is each handler's
/// <see cref="ISessionLink"/>.
/// </summary>
public sealed partial class SecureChatSession : ISessionLink
{
    SessionOptions ISessionLink.Options => _options;

    string ISessionLink.PeerFingerprint => PeerInfo.Fingerprint;

    /// <summary>Tests and fuzzing only: one transport message of any type and body, as a hostile but authenticated peer could send.</summary>
    internal async ValueTask SendRawForTestsAsync(byte type, ReadOnlyMemory<byte> body) =>
        await SendMessageAsync((MessageType)type, body, captureCiphertext: false, CancellationToken.None).ConfigureAwait(false);

    async ValueTask ISessionLink.SendControlAsync(MessageType type, byte[] body, CancellationToken cancellationToken) =>
        await SendMessageAsync(type, body, captureCiphertext: false, cancellationToken).ConfigureAwait(false);

    async ValueTask ISessionLink.SendFramesAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, CancellationToken cancellationToken) =>
        await SendFramesAsync(maxBytes, build, state, captureCiphertext: false, urgent: false, cancellationToken).ConfigureAwait(false);

    async ValueTask ISessionLink.PublishAsync(SessionEvent evt)
    {
        try
        {
            await _events.Writer.WriteAsync(evt, _lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session is ending: no more waiting for room, and the event is not lost.
            ((ISessionLink)this).PublishAtEnd(evt);
        }
        catch (ChannelClosedException)
        {
            // The session ended: the application learns that from the session itself.
        }
    }

    async ValueTask ISessionLink.SendThenPublishAsync(MessageType type, byte[] body, SessionEvent evt, bool waitForRoom, CancellationToken cancellationToken)
    {
        var pair = new EventBeforeSeal(_events.Writer, evt, sealAnyway: !waitForRoom);
        try
        {
            while (true)
            {
                // Under the writer's turn: the event is queued, then the message sealed. Nobody can
                // seal (a CLOSE) between the two, and the peer has nothing to react to before both.
                await SendFramesAsync(
                    Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize,
                    static (transport, buffer, message) => message.Pair.Queue() ? transport.Seal(message.Type, message.Body, buffer) : -1,
                    (Type: type, Body: body, Pair: pair),
                    captureCiphertext: false,
                    urgent: true,
                    cancellationToken).ConfigureAwait(false);

                // The application's queue was full and nothing was sealed: wait for room, and try again.
                if (pair.Published || pair.SealedAnyway || !await _events.Writer.WaitToWriteAsync(_lifetime.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The session is ending: the message is not sent; the event below, if it still fits.
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session is over: the peer will not hear it; the application still does, below.
        }
        finally
        {
            if (!pair.Published)
            {
                // Sealed without its event (the caller could not wait) or not sealed at all: the
                // event follows. The caller's own thread never waits for the application here.
                Task late = ((ISessionLink)this).PublishAsync(evt).AsTask();
                if (waitForRoom)
                {
                    await late.ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// An event queued for the application under the writer's turn, right before its message is
    /// sealed. With a full queue the message is not sealed (the sender waits for room), unless
    /// <c>sealAnyway</c>: then the event follows on its own.
    /// </summary>
    private sealed class EventBeforeSeal(ChannelWriter<SessionEvent> events, SessionEvent evt, bool sealAnyway)
    {
        public bool Published { get; private set; }

        public bool SealedAnyway { get; private set; }

        public bool Queue()
        {
            Published = events.TryWrite(evt);
            SealedAnyway = !Published && sealAnyway;
            return Published || sealAnyway;
        }
    }

    void ISessionLink.TryPublish(SessionEvent evt) => _events.Writer.TryWrite(evt);

    void ISessionLink.PublishAtEnd(SessionEvent evt)
    {
        if (!_events.Writer.TryWrite(evt) && Volatile.Read(ref _endTold) == 0)
        {
            _endEvents.Enqueue(evt);
        }
    }

    /// <summary>The registered handler of type <typeparamref name="T"/> (for a feature's public API on the session).</summary>
    private T Handler<T>()
        where T : class, IMessageHandler
    {
        foreach (IMessageHandler handler in _handlers)
        {
            if (handler is T found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"No {typeof(T).Name} is registered in this session.");
    }

    /// <summary>A message of a type the session does not handle itself: to the handler of its range, or ignored.</summary>
    private SessionEvent? Dispatch(MessageType type, ReadOnlySpan<byte> body)
    {
        foreach (IMessageHandler handler in _handlers)
        {
            if (type >= handler.FirstType && type <= handler.LastType)
            {
                return handler.OnMessage(type, body);
            }
        }

        return null;
    }
}
