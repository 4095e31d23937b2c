using System.Net;
using System.Net.Sockets;

namespace SecureChat.Compat.Tests;

/// <summary>A listening socket on 127.0.0.1, for a compatibility session over real TCP.</summary>
internal static class Loopback
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>A listening socket on 127.0.0.1 with an ephemeral port.</summary>
    public static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    public static int Port(this TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
}
