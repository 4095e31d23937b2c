using System.Net.Sockets;
using SecureChat.Relay.Limits;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// The relay's last word on a connection: an error (or redirect) frame, then a half-close, then
/// input read and discarded for 2 s (or until the client closes), so that the client's unread
/// bytes do not turn the close into a reset that swallows the error. Discarded bytes go to one
/// shared buffer: nobody reads them.
/// </summary>
internal static class Answers
{
    private static readonly byte[] Discard = new byte[16 * 1024];

    /// <summary>The "paired" frame.</summary>
    public static readonly byte[] Paired = RelayControl.Encode(new RelayPaired());

    /// <summary>Sends an error frame and ends the connection as above; counts it for the summary.</summary>
    public static Task RefuseAsync(RelayContext context, ClientConnection connection, string code, string message)
    {
        context.Refusals.Count(code);
        context.Metrics.Refused(code);
        return EndWithAsync(context, connection, RelayControl.Encode(new RelayError(code, message)));
    }

    /// <summary>
    /// Sends a final frame (an error or a redirect) and ends the connection. The 2 s discard needs a
    /// place in <see cref="RelayContext.Drains"/> (per address and globally bounded, like connections
    /// awaiting a first frame): otherwise one address could hold every socket with connections the
    /// relay has already refused. Without one the frame is sent and the socket closed at once.
    /// </summary>
    public static async Task EndWithAsync(RelayContext context, ClientConnection connection, byte[] frame)
    {
        Socket socket = connection.Socket;
        using CountLease? draining = context.Drains.TryAcquire(connection.Client.Keys, connection.Client.Exempt);
        try
        {
            using var drain = new CancellationTokenSource(context.Limits.ErrorDrain, context.Time);
            await socket.SendAsync(frame, SocketFlags.None, drain.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            while (draining is not null && await socket.ReceiveAsync(Discard, SocketFlags.None, drain.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Drained long enough, or the client is gone.
        }
        finally
        {
            connection.Close();
        }
    }
}
