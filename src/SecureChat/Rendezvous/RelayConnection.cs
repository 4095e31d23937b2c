using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SecureChat.Framing;

namespace SecureChat.Rendezvous;

/// <summary>
/// One TCP connection to a relay before pairing: connect (TCP keepalive 60 s idle, 10 s × 6 probes,
/// so NAT state survives a long wait), send one control frame, read control frames with a
/// deadline. Reads exactly one frame at a time and nothing beyond it, so the bytes after "paired"
/// stay in the socket for the session.
/// </summary>
internal sealed class RelayConnection : IDisposable
{
    private readonly NetworkStream _stream;
    private bool _handedOver;

    private RelayConnection(Socket socket, IPAddress address)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        Address = address;
    }

    /// <summary>The relay address this connection reached.</summary>
    public IPAddress Address { get; }

    /// <summary>Resolves <paramref name="host"/> and connects to the first of its addresses that answers.</summary>
    /// <param name="host">A name or IP literal.</param>
    /// <param name="port">The relay's port.</param>
    /// <param name="accept">Checks the resolved addresses before any connection (for a redirect); null accepts all.</param>
    /// <param name="timeout">For resolving and connecting together.</param>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <exception cref="RelayException">Unreachable, timed out, or refused by <paramref name="accept"/>.</exception>
    public static async Task<RelayConnection> ConnectAsync(string host, int port, Func<IPAddress[], RelayException?>? accept, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new RelayException(RelayFailure.Unreachable, $"The relay's name {host} could not be resolved: check the spelling, or use an IP address.", inner: e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RelayException(RelayFailure.Timeout, $"Resolving the relay's name {host} timed out.");
        }

        if (addresses.Length == 0)
        {
            throw new RelayException(RelayFailure.Unreachable, $"The relay's name {host} has no address.");
        }

        if (accept?.Invoke(addresses) is { } refused)
        {
            throw refused;
        }

        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                EnableKeepAlive(socket);
                await socket.ConnectAsync(address, port, deadline.Token).ConfigureAwait(false);
                return new RelayConnection(socket, address);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new RelayException(RelayFailure.Timeout, $"Connecting to the relay {Describe(host, port)} timed out: check the address and that no firewall is in the way.");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        string why = last?.SocketErrorCode == SocketError.ConnectionRefused ? "nothing is listening there" : last?.Message ?? "no address answered";
        throw new RelayException(RelayFailure.Unreachable, $"Could not connect to the relay {Describe(host, port)}: {why}.", inner: last);
    }

    /// <summary>"host:port", with brackets for an IPv6 literal.</summary>
    public static string Describe(string host, int port) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>Sends one control frame.</summary>
    /// <exception cref="RelayException">The relay closed the connection.</exception>
    public async Task SendAsync(RelayMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(RelayControl.Encode(message), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new RelayException(RelayFailure.Closed, "The relay closed the connection.", inner: e);
        }
    }

    /// <summary>Reads exactly one control frame within <paramref name="timeout"/>.</summary>
    /// <exception cref="RelayException">Timed out, closed, or not a valid control frame.</exception>
    public async Task<RelayMessage> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        byte[] header = new byte[Frame.LengthSize];
        try
        {
            await _stream.ReadExactlyAsync(header, deadline.Token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (length == 0 || length > RelayControl.MaxBodyLength)
            {
                throw new RelayException(RelayFailure.ProtocolViolation, $"The relay sent a frame of {length} bytes where a control frame (1 to {RelayControl.MaxBodyLength} bytes) was due. Is it a SecureChat relay?");
            }

            byte[] body = new byte[length];
            await _stream.ReadExactlyAsync(body, deadline.Token).ConfigureAwait(false);
            return RelayControl.Parse(body);
        }
        catch (FormatException e)
        {
            throw new RelayException(RelayFailure.ProtocolViolation, $"The relay sent an invalid control frame ({e.Message}). Is it a SecureChat relay?", inner: e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RelayException(RelayFailure.Timeout, "The relay did not answer in time.");
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or SocketException)
        {
            throw new RelayException(RelayFailure.Closed, "The relay closed the connection before pairing.", inner: e);
        }
    }

    /// <summary>The connected stream, owned by the caller from now on (this connection no longer closes it).</summary>
    public Stream HandOver()
    {
        _handedOver = true;
        return _stream;
    }

    public void Dispose()
    {
        if (!_handedOver)
        {
            _stream.Dispose();
        }
    }

    private static void EnableKeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 6);
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
            // The platform keeps its own keepalive timing; keepalive itself is on.
        }
    }
}
