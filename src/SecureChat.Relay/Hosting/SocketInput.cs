using System.Net.Sockets;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// Waiting for a client's next byte without a buffer of one's own. A one-byte MSG_PEEK into a
/// byte shared by every connection (nobody reads it) rather than a zero-byte receive: on Linux a
/// zero-byte receive can be woken by a stale readiness event with neither data nor FIN, which a
/// relay must not mistake for either. The peek consumes nothing; the real read follows with a
/// buffer rented only then.
/// </summary>
internal static class SocketInput
{
    private static readonly byte[] Shared = new byte[1];

    /// <summary>True when a byte is ready to read, false when the peer has sent its FIN.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async ValueTask<bool> WaitAsync(Socket socket, CancellationToken cancellationToken = default) =>
        await socket.ReceiveAsync(Shared, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) > 0;
}
