using System.Threading.Channels;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// The outbox: control messages that the read loop must answer (a FILE_REJECT for an offer beyond
/// the limit, a FILE_CANCEL for a bad FILE_ACCEPT) without waiting for the socket. One task sends
/// them in order. The queue is bounded: a peer that keeps asking while it stops reading the
/// answers fills it, and the session then ends as a protocol violation instead of piling up
/// pending sends (each with its timer and its copy of the message) without limit. The queue and its
/// task are made on the first answer: most sessions never owe one, and an idle session holds neither.
/// </summary>
public sealed partial class SecureChatSession
{
    /// <summary>Answers waiting to be sent at once; one more ends the session (docs/PROTOCOL.md §8).</summary>
    internal const int MaxQueuedAnswers = 64;

    private readonly Lock _outboxLock = new();
    private Channel<QueuedAnswer>? _outbox;
    private bool _outboxClosed;

    /// <summary>From this many answers waiting, the read loop gives the outbox a moment before reading on.</summary>
    private const int OutboxHighWater = MaxQueuedAnswers * 3 / 4;

    /// <summary>How long the read loop waits for the outbox to make progress before reading on anyway.</summary>
    private static readonly TimeSpan OutboxGrace = TimeSpan.FromSeconds(1);

    private Task _outboxLoop = Task.CompletedTask;
    private TaskCompletionSource? _outboxProgress;
    private bool _outboxStalled;

    /// <summary>Queues a control message for the outbox task (from the read loop).</summary>
    /// <exception cref="ProtocolViolationException">The outbox is full: the read loop ends the session with it.</exception>
    void ISessionLink.EnqueueControl(MessageType type, byte[] body)
    {
        if (_lifecycle.IsShuttingDown || Outbox()?.Writer.TryWrite(new QueuedAnswer(type, body)) != false)
        {
            return;
        }

        if (_lifecycle.IsShuttingDown)
        {
            return; // the outbox was closed meanwhile: nothing more is sent
        }

        throw new ProtocolViolationException($"The peer kept sending requests while it did not read the answers ({MaxQueuedAnswers} answers were waiting to be sent); the conversation was ended.");
    }

    /// <summary>The outbox, made (with its task) on first use; null once the session has closed it.</summary>
    private Channel<QueuedAnswer>? Outbox()
    {
        lock (_outboxLock)
        {
            if (_outbox is null && !_outboxClosed)
            {
                _outbox = Channel.CreateBounded<QueuedAnswer>(
                    new BoundedChannelOptions(MaxQueuedAnswers) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
                _outboxLoop = Task.Run(() => OutboxLoopAsync(_outbox.Reader));
            }

            return _outboxClosed ? null : _outbox;
        }
    }

    /// <summary>No more answers: the outbox task (if any) ends.</summary>
    private void CompleteOutbox()
    {
        lock (_outboxLock)
        {
            _outboxClosed = true;
            _outbox?.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Called by the read loop before each frame. One answer is sent per write while the read loop
    /// can take a frame faster, so a burst from a peer that does read its answers could fill the
    /// outbox by speed alone: from the high-water mark on, the read loop waits (which also stops it
    /// reading the socket) until the outbox sends something. If nothing goes out for
    /// <see cref="OutboxGrace"/>, the peer is not reading: the read loop stops waiting (until the
    /// outbox moves again), and the next answers fill the outbox, which ends the session.
    /// </summary>
    private async ValueTask LetOutboxCatchUpAsync()
    {
        ChannelReader<QueuedAnswer>? outbox = Volatile.Read(ref _outbox)?.Reader;
        while (outbox is not null && outbox.Count >= OutboxHighWater && !Volatile.Read(ref _outboxStalled))
        {
            var progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _outboxProgress, progress);
            if (outbox.Count < OutboxHighWater)
            {
                return; // drained meanwhile
            }

            try
            {
                await progress.Task.WaitAsync(OutboxGrace, _lifetime.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Volatile.Write(ref _outboxStalled, true);
            }
        }
    }

    private async Task OutboxLoopAsync(ChannelReader<QueuedAnswer> outbox)
    {
        try
        {
            await foreach (QueuedAnswer answer in outbox.ReadAllAsync(_lifetime.Token).ConfigureAwait(false))
            {
                await SendMessageAsync(answer.Type, answer.Body, captureCiphertext: false, CancellationToken.None).ConfigureAwait(false);
                Volatile.Write(ref _outboxStalled, false);
                Interlocked.Exchange(ref _outboxProgress, null)?.TrySetResult();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SecureChatException or InvalidOperationException)
        {
            // The session has ended (its fault, if any, is recorded); queued answers are dropped.
        }
        finally
        {
            while (outbox.TryRead(out _))
            {
                // Release what is left.
            }
        }
    }

    private readonly record struct QueuedAnswer(MessageType Type, byte[] Body);
}
