using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// The transport phase (docs/PROTOCOL.md §4): each frame is one Noise transport message,
/// AES-GCM with empty associated data over (type ‖ body); the sender rekeys (Noise §11.3) right
/// after encrypting, the receiver right after decrypting, overwriting the old key in place.
/// </summary>
public sealed partial class SecureChatSession
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Encrypts one transport message and hands it to the writer (<see cref="FrameWriter"/>); returns
    /// a copy of the frame when asked. A slice of the write (<see cref="FrameWriter.MaxWriteSlice"/>)
    /// that the peer does not take within the idle timeout means the peer stopped reading: the
    /// session ends with <see cref="ConnectionLostException"/>, so a stalled peer can never hold
    /// the session, its keys or its senders forever. CLOSE goes through <see cref="SendCloseAsync"/>.
    /// </summary>
    private ValueTask<byte[]?> SendMessageAsync(MessageType type, ReadOnlyMemory<byte> body, bool captureCiphertext, CancellationToken cancellationToken) =>
        SendFramesAsync(Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize, static (transport, buffer, message) => transport.Seal(message.Type, message.Body.Span, buffer), (Type: type, Body: body), captureCiphertext, urgent: true, cancellationToken);

    /// <summary>
    /// Lets <paramref name="build"/> seal frames (at most <paramref name="maxBytes"/> bytes in all)
    /// straight into the writer's pending buffer, in turn with every other sender, so that they go
    /// out in nonce order, several senders' frames in one write when they queue up. Texts and
    /// control messages are <paramref name="urgent"/>: they may queue in the writer's reserve when
    /// file data (bulk) has taken the regular room (<see cref="FrameWriter.UrgentReserveBytes"/>).
    /// </summary>
    private async ValueTask<byte[]?> SendFramesAsync<TState>(int maxBytes, SealedFramesBuilder<TState> build, TState state, bool captureCiphertext, bool urgent, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        if (_lifecycle.IsShuttingDown)
        {
            throw new InvalidOperationException("The session is closed.");
        }

        try
        {
            return await _writer.SendAsync(maxBytes, build, state, captureCiphertext, _options.IdleTimeout, waitForWrite: false, urgent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The writer failed (its failure ended the session, OnWriteFailed) or was closed.
            ThrowIfFaulted();
            throw new InvalidOperationException("The session is closed.", e);
        }
    }

    /// <summary>
    /// Sends CLOSE as the writer's last frame (<see cref="FrameWriter.SendFinalAsync"/>): every later
    /// send is refused, and it returns once the CLOSE has been written.
    /// </summary>
    private async ValueTask SendCloseAsync(string? reason, TimeSpan writeTimeout, CancellationToken cancellationToken)
    {
        byte[] body = reason is null ? [] : Encoding.UTF8.GetBytes(reason);
        ThrowIfFaulted();
        if (_lifecycle.IsShuttingDown)
        {
            throw new InvalidOperationException("The session is closed.");
        }

        await _writer.SendFinalAsync(
            Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize,
            static (transport, buffer, b) => transport.Seal(MessageType.Close, b, buffer),
            body,
            writeTimeout,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A write failed or timed out (from the writer, once): ends the session and returns the fault.</summary>
    private Exception OnWriteFailed(Exception error, TimeSpan limit)
    {
        if (_lifecycle.IsShuttingDown || (_lifecycle.State == SessionState.Closing && _writer.IsFinal))
        {
            // The session ended meanwhile (say, the peer's CLOSE arrived), or our CLOSE has been
            // sealed and the peer may hang up as soon as it reads it: not a fault of this send.
            return new InvalidOperationException("The session is closed.", error);
        }

        var lost = error is OperationCanceledException
            ? new ConnectionLostException($"The peer stopped reading: it took none of our data for {limit.TotalSeconds:0.#} s.", error)
            : new ConnectionLostException("The connection was lost while sending.", error);
        _ = FailAsync(lost, fromReadLoop: false);
        return lost;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                await LetOutboxCatchUpAsync().ConfigureAwait(false);
                Memory<byte>? frame = await _reader.ReadFrameAsync(_lifetime.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    if (_lifecycle.State >= SessionState.Closing)
                    {
                        return;
                    }

                    throw new ConnectionLostException("The peer's connection ended without an authenticated goodbye (CLOSE): the network failed or someone cut the conversation.");
                }

                _keepAlive.Touch();
                SessionEvent? evt = Open(frame.Value);
                if (evt is ReaderWork work)
                {
                    // A feature's work (say, a file writer that is behind): wait for it
                    // (backpressure on the socket), not counted as silence.
                    _keepAlive.BeginWait();
                    await work.RunAsync(_lifetime.Token).ConfigureAwait(false);
                    _keepAlive.EndWait();
                    continue;
                }

                if (evt is SessionClosed closed)
                {
                    _closed = closed;
                    await ShutdownAsync(fromReadLoop: true).ConfigureAwait(false);
                    return;
                }

                if (evt is not null && !_events.Writer.TryWrite(evt))
                {
                    // The application is behind: wait for it (backpressure on the socket), and do
                    // not count the wait as silence from the peer.
                    _keepAlive.BeginWait();
                    await _events.Writer.WriteAsync(evt, _lifetime.Token).ConfigureAwait(false);
                    _keepAlive.EndWait();
                }
            }
        }
        catch (Exception e) when (_lifecycle.IsShuttingDown || (_lifecycle.State == SessionState.Closing && e is not SecureChatException))
        {
            // The session is being shut down (our own close cancels the read); nothing to report.
        }
        catch (SecureChatException e)
        {
            await FailAsync(e, fromReadLoop: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            await FailAsync(new ConnectionLostException("The connection was lost.", e), fromReadLoop: true).ConfigureAwait(false);
        }
    }

    /// <summary>Decrypts one frame in place, rekeys, and interprets it. Wipes the plaintext before returning.</summary>
    private SessionEvent? Open(Memory<byte> frameBody)
    {
        // After the handshake only TRANSPORT frames are allowed (docs/PROTOCOL.md §1): a REFUSE
        // here comes after READY, where it is no longer valid, so it ends the session too.
        ReceivedFrame frame = ReceivedFrame.Of(frameBody);
        if (frame.Kind != FrameKind.Transport)
        {
            throw new ProtocolViolationException(frame.Kind == FrameKind.Refuse
                ? "The peer sent a REFUSE frame after the session was established; a refusal is only valid during the handshake."
                : $"The peer sent a frame of kind {(byte)frame.Kind} during the conversation; only TRANSPORT frames are allowed.");
        }

        Span<byte> span = frame.Payload.Span;
        byte[]? ciphertext = _options.CaptureCiphertext ? span.ToArray() : null;
        int length = _transport.Open(span);
        if (length < 0)
        {
            throw new IntegrityException("A message from the peer failed authentication: it was tampered with, replayed or reordered, or one before it was dropped. The conversation was ended.");
        }

        try
        {
            TransportMessageStatus status = TransportMessage.TryParse(span[..length], out MessageType type, out ReadOnlySpan<byte> body);
            if (status != TransportMessageStatus.Complete)
            {
                throw new ProtocolViolationException("The peer sent a transport message without a type byte.");
            }

            switch (type)
            {
                case MessageType.Text:
                    return new TextReceived(DecodeText(body), DateTimeOffset.Now, ciphertext);
                case MessageType.Close:
                    string? reason = body.IsEmpty ? null : Encoding.UTF8.GetString(body[..Math.Min(body.Length, 4096)]);
                    return new SessionClosed(ByPeer: true, Reason: reason);
                case MessageType.Ready:
                    // READY is the responder's first message and is consumed by the handshake.
                    throw new ProtocolViolationException("The peer sent READY a second time.");
                case MessageType.Ping:
                    _keepAlive.OnPing(body);
                    return null;
                case MessageType.Pong:
                    // Refreshes the idle clock (already done).
                    return null;
                default:
                    // A feature's type (IMessageHandler); unknown types are ignored (room to grow).
                    return Dispatch(type, body);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(span);
        }
    }

    private static string DecodeText(ReadOnlySpan<byte> body)
    {
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException e)
        {
            throw new ProtocolViolationException("The peer sent a text that is not valid UTF-8.", e);
        }
    }

    /// <summary>Records the first fault, tells the peer when its frames failed authentication, and erases the keys.</summary>
    private async Task FailAsync(SecureChatException fault, bool fromReadLoop)
    {
        // A fault that happens once shutdown has begun (a send cut off by our own close, or by
        // the peer's CLOSE) is a consequence of the end, not its cause.
        if (!_lifecycle.TryRecordFault(fault))
        {
            if (!fromReadLoop)
            {
                await ShutdownAsync(fromReadLoop: false).ConfigureAwait(false);
            }

            return;
        }

        if (fault is IntegrityException)
        {
            await TrySendCloseAsync("integrity failure: a message failed authentication").ConfigureAwait(false);
        }

        await ShutdownAsync(fromReadLoop).ConfigureAwait(false);
    }

    private async Task TrySendCloseAsync(string reason)
    {
        try
        {
            // Behind whatever is queued, the last frame, and written before the shutdown closes the stream.
            byte[] body = Encoding.UTF8.GetBytes(reason);
            await _writer.SendFinalAsync(
                Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize,
                static (transport, buffer, b) => transport.Seal(MessageType.Close, b, buffer),
                body,
                TimeSpan.FromSeconds(1),
                CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or TimeoutException)
        {
            // Best effort.
        }
    }

    /// <summary>
    /// Stops both loops, closes the stream and erases every key: the transport keys, the owned
    /// identity, the key log handle. Runs once; later callers wait for it.
    /// </summary>
    private async Task ShutdownAsync(bool fromReadLoop)
    {
        if (!_lifecycle.TryBeginShutdown())
        {
            if (!fromReadLoop)
            {
                await _shutdownDone.Task.ConfigureAwait(false);
            }

            return;
        }

        try
        {
            _keepAlive.Stop();
            await _lifetime.CancelAsync().ConfigureAwait(false);
            await CloseGracefullyAsync(_stream, reader: null, sendShutDown: Interlocked.Exchange(ref _sendShutDown, 1) == 1).ConfigureAwait(false);
            if (!fromReadLoop)
            {
                await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            // The reader loop has ended, so nobody uses the receive key any more.
            _transport.DisposeReceive();
            _reader.Dispose();

            // A write in flight fails on the closed stream; the writer drops what is pending and
            // erases the send key once no sender is sealing.
            await _writer.CloseAsync().ConfigureAwait(false);

            _ownedIdentity?.Dispose();
            _keyLog?.Dispose();
            KeysErased = true;
        }
        finally
        {
            foreach (IMessageHandler handler in _handlers)
            {
                handler.OnSessionEnded(faulted: _lifecycle.Fault is not null);
            }
            CompleteOutbox();
            _events.Writer.TryComplete();
            _lifecycle.End();
            _shutdownDone.TrySetResult();
        }
    }

    /// <summary>
    /// Half-closes a socket stream and waits briefly for the peer to hang up before closing it, so
    /// that a last frame (CLOSE, SCERR) is not destroyed by a reset. With
    /// <paramref name="sendShutDown"/>, the sending side was already shut down (no second shutdown call).
    /// </summary>
    internal static async ValueTask CloseGracefullyAsync(Stream stream, FrameReader? reader, bool sendShutDown = false)
    {
        try
        {
            if (stream is NetworkStream network && network.Socket.Connected)
            {
                if (!sendShutDown)
                {
                    network.Socket.Shutdown(SocketShutdown.Send);
                }

                if (reader is not null)
                {
                    using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    while (await reader.ReadFrameAsync(linger.Token).ConfigureAwait(false) is not null)
                    {
                        // Discard whatever the peer still sends until it hangs up.
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or SecureChatException)
        {
            // Closing anyway.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
