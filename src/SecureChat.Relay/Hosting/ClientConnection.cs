using System.Net.Sockets;
using SecureChat.Relay.Limits;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// One accepted socket and what the limits know of its client. <see cref="Close"/> is idempotent:
/// it disposes the socket and gives back the socket's share of the open-file cap, whoever calls it
/// first (the connection's own task, its pair, or the server's shutdown).
/// </summary>
internal sealed class ClientConnection(Socket socket, ClientAddress client, Action<ClientConnection> onClosed)
{
    private int _closed;

    /// <summary>The socket.</summary>
    public Socket Socket => socket;

    /// <summary>The client, as the limits see it.</summary>
    public ClientAddress Client => client;

    /// <summary>True once closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Closes the socket (once).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            socket.Dispose();
            onClosed(this);
        }
    }
}
