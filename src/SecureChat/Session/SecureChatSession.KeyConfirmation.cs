using System.Buffers.Binary;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// Key confirmation for the initiator in passphrase mode (docs/PROTOCOL.md §3.3). In XXpsk3 the
/// initiator's last handshake message is the first to use the passphrase; the responder has not
/// yet shown that it knows it — a server with another passphrase, or an impostor, would still get
/// this far. So the initiator sends a PING at once and reports the session only when the first
/// frame from the responder decrypts (its PONG, or anything else it sends first): a responder that
/// does not know the passphrase cannot produce one. Until then nothing is pinned or shown as
/// established. A v1 responder answers PING already, so this needs no change on its side.
/// </summary>
public sealed partial class SecureChatSession
{
    private readonly TaskCompletionSource _keyConfirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until the responder's first frame decrypts; on failure the session is closed and its keys erased.</summary>
    /// <exception cref="AuthenticationFailedException">The responder refused the passphrase.</exception>
    /// <exception cref="SessionTimeoutException">No confirmation within the handshake timeout.</exception>
    /// <exception cref="SecureChatException">The session failed meanwhile.</exception>
    private async ValueTask AwaitKeyConfirmationAsync(TimeSpan handshakeTimeout, CancellationToken handshakeDeadline, CancellationToken callerToken)
    {
        try
        {
            byte[] ping = new byte[TransportLimits.PingLength];
            BinaryPrimitives.WriteInt64BigEndian(ping, Environment.TickCount64);
            await SendMessageAsync(MessageType.Ping, ping, captureCiphertext: false, handshakeDeadline).ConfigureAwait(false);
            await _keyConfirmed.Task.WaitAsync(handshakeDeadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or SecureChatException)
        {
            bool timedOut = e is OperationCanceledException && handshakeDeadline.IsCancellationRequested && !_keyConfirmed.Task.IsCompleted;
            await CloseAsync(reason: null, CancellationToken.None).ConfigureAwait(false);
            ThrowIfFaulted();
            callerToken.ThrowIfCancellationRequested();
            if (timedOut)
            {
                throw new SessionTimeoutException($"The server did not confirm the passphrase within {handshakeTimeout.TotalSeconds:0.#} s: nothing was trusted.");
            }

            throw new ConnectionLostException("The server closed the connection before it confirmed the passphrase: nothing was trusted.", e);
        }
    }
}
