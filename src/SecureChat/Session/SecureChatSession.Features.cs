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
            // The session is ending: no more waiting for room, but an event that fits is still
            // delivered (the queue is completed only at the end of the shutdown).
            _events.Writer.TryWrite(evt);
        }
        catch (ChannelClosedException)
        {
            // The session ended: the application learns that from the session itself.
        }
    }

    async ValueTask ISessionLink.SendThenPublishAsync(MessageType type, byte[] body, SessionEvent evt, CancellationToken cancellationToken)
    {
        var after = new PublishAfterSeal(_events.Writer, evt);
        try
        {
            await SendFramesAsync(
                Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize,
                static (transport, buffer, message) =>
                {
                    int length = transport.Seal(message.Type, message.Body, buffer);
                    message.After.Publish(); // under the writer's turn, before the frame can be written
                    return length;
                },
                (Type: type, Body: body, After: after),
                captureCiphertext: false,
                urgent: true,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session is over: the peer will not hear it; the application still does, below.
        }
        finally
        {
            if (!after.Published)
            {
                await ((ISessionLink)this).PublishAsync(evt).ConfigureAwait(false);
            }
        }
    }

    /// <summary>An event offered to the application the moment its message is sealed (no waiting: the writer's turn is held).</summary>
    private sealed class PublishAfterSeal(ChannelWriter<SessionEvent> events, SessionEvent evt)
    {
        public bool Published { get; private set; }

        public void Publish() => Published = events.TryWrite(evt);
    }

    void ISessionLink.TryPublish(SessionEvent evt) => _events.Writer.TryWrite(evt);

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
