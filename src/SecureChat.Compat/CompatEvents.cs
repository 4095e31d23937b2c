using System.Threading.Channels;
using SecureChat.Session;

namespace SecureChat.Compat;

/// <summary>
/// The event queue of a compatibility session: what its read loop found, in order, then either
/// the end of the conversation or the fault that ended it (thrown from every later receive).
/// </summary>
internal sealed class CompatEvents
{
    private readonly Channel<SessionEvent> _events = Channel.CreateBounded<SessionEvent>(64);
    private SecureChatException? _fault;

    public ValueTask WriteAsync(SessionEvent evt, CancellationToken cancellationToken) => _events.Writer.WriteAsync(evt, cancellationToken);

    public void TryWrite(SessionEvent evt) => _events.Writer.TryWrite(evt);

    /// <summary>Ends the queue with a fault: events already queued are still delivered first.</summary>
    public void Fail(SecureChatException fault)
    {
        Interlocked.CompareExchange(ref _fault, fault, null);
        _events.Writer.TryComplete();
    }

    /// <summary>Ends the queue: receivers get <see cref="SessionClosed"/> once it is drained.</summary>
    public void Complete() => _events.Writer.TryComplete();

    /// <exception cref="SecureChatException">The fault that ended the session.</exception>
    public async ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            if (Volatile.Read(ref _fault) is { } fault)
            {
                throw Copy(fault);
            }

            return new SessionClosed(ByPeer: false, Reason: null);
        }
    }

    /// <summary>
    /// A fresh exception for each receive, so that one call's stack trace does not grow into the next's.
    /// (The core's own copy is internal to it; these are the faults a compatibility session raises.)
    /// </summary>
    private static SecureChatException Copy(SecureChatException fault) => fault switch
    {
        ConnectionLostException lost => new ConnectionLostException(lost.Message, lost.InnerException),
        ProtocolViolationException violation => new ProtocolViolationException(violation.Message, violation.InnerException),
        _ => fault,
    };
}
