using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Nameplates;

namespace SecureChat.Relay.Metrics;

/// <summary>
/// The relay's own small HTTP listener (HTTP/1.1, one request per connection, <c>GET</c> only):
/// <c>/metrics</c> in the Prometheus text format, <c>/healthz</c> (200 while the process serves),
/// <c>/readyz</c> (503 while draining, or while Redis is unreachable for a Redis-backed node: a
/// load balancer then sends no new clients here); anything else is 404. A plain socket rather than
/// HttpListener, whose managed implementation takes no IPv6 literal and no dual-mode wildcard. A
/// request has 5 s and 8 KiB for its head; its body, if any, is not read.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxHead = 8 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly RelayContext _context;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <exception cref="IOException">The address cannot be bound (the message says where).</exception>
    public MetricsEndpoint(RelayContext context, IPEndPoint endPoint)
    {
        _context = context;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _listener.DualMode = true;
            }

            _listener.Bind(endPoint);
            _listener.Listen(64);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new IOException($"Cannot serve metrics on {endPoint}: {e.Message}", e);
        }

        _loop = LoopAsync(_stop.Token);
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Whether a load balancer should send new clients here, and why not.</summary>
    public static (bool Ready, string Reason) Readiness(RelayContext context) =>
        context.Draining ? (false, "draining")
        : context.Registry is IRegistryHealth { IsUp: false } ? (false, "redis unreachable")
        : (true, "ready");

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(RequestTimeout);
                string? path = await ReadPathAsync(client, timeout.Token).ConfigureAwait(false);
                (int status, string contentType, byte[] body) = await AnswerAsync(path, timeout.Token).ConfigureAwait(false);
                string head = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await client.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                await client.SendAsync(body, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // A slow or vanished scraper.
            }
        }
    }

    /// <summary>The path of a GET request (without its query), "" for another method, null for a malformed head.</summary>
    private static async Task<string?> ReadPathAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] head = new byte[MaxHead];
        int filled = 0;
        while (filled < head.Length)
        {
            int n = await client.ReceiveAsync(head.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            filled += n;
            if (head.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        int lineEnd = head.AsSpan(0, filled).IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return null;
        }

        string[] parts = Encoding.ASCII.GetString(head, 0, lineEnd).Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        if (parts[0] != "GET")
        {
            return string.Empty;
        }

        int query = parts[1].IndexOf('?', StringComparison.Ordinal);
        return query >= 0 ? parts[1][..query] : parts[1];
    }

    private async Task<(int Status, string ContentType, byte[] Body)> AnswerAsync(string? path, CancellationToken cancellationToken)
    {
        const string Text = "text/plain; charset=utf-8";
        switch (path)
        {
            case null:
                return (400, Text, "bad request\n"u8.ToArray());
            case "":
                return (405, Text, "only GET\n"u8.ToArray());
            case "/metrics":
                using (var body = new MemoryStream())
                {
                    await _context.Metrics.Registry.CollectAndExportAsTextAsync(body, cancellationToken).ConfigureAwait(false);
                    return (200, "text/plain; version=0.0.4; charset=utf-8", body.ToArray());
                }

            case "/healthz":
                return (200, Text, "ok\n"u8.ToArray());
            case "/readyz":
                (bool ready, string reason) = Readiness(_context);
                return (ready ? 200 : 503, Text, Encoding.UTF8.GetBytes(reason + "\n"));
            default:
                return (404, Text, "not found\n"u8.ToArray());
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
