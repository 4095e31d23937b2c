using System.Net.Sockets;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// Options every accepted socket gets: NoDelay (a relayed handshake is many small writes), TCP
/// keepalive (60 s idle, 10 s × 6: NAT state survives the wait, there is no keepalive op), and on
/// Linux TCP_USER_TIMEOUT (unacknowledged data for 60 s kills the connection).
/// </summary>
internal static class SocketTuning
{
    private const int IpProtoTcp = 6;
    private const int TcpUserTimeout = 18; // linux/tcp.h

    public static void Apply(Socket socket, RelayLimits limits)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        TrySet(() => socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)limits.KeepAliveIdle.TotalSeconds));
        TrySet(() => socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)limits.KeepAliveInterval.TotalSeconds));
        TrySet(() => socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, limits.KeepAliveProbes));
        if (OperatingSystem.IsLinux())
        {
            TrySet(() => socket.SetRawSocketOption(IpProtoTcp, TcpUserTimeout, BitConverter.GetBytes((int)limits.TcpUserTimeout.TotalMilliseconds)));
        }
    }

    private static void TrySet(Action set)
    {
        try
        {
            set();
        }
        catch (SocketException)
        {
            // An option this platform lacks: the relay works without it.
        }
        catch (PlatformNotSupportedException)
        {
            // Same.
        }
    }
}
