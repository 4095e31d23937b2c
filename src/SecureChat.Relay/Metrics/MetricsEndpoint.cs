using System.Net;
using System.Net.Sockets;
using System.Text;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Nameplates;

namespace SecureChat.Relay.Metrics;

/// <summary>
/// The relay's own HTTP listener (HttpListener, no ASP.NET): <c>/metrics</c> in the Prometheus
/// text format, <c>/healthz</c> (200 while the process serves), <c>/readyz</c> (503 while
/// draining, or while Redis is unreachable for a Redis-backed node: a load balancer then sends no
/// new clients here). Anything else is 404. One request at a time: scrapes are rare and small.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly RelayContext _context;
    private readonly Task _loop;

    /// <exception cref="HttpListenerException">The address cannot be bound.</exception>
    public MetricsEndpoint(RelayContext context, IPEndPoint endPoint)
    {
        _context = context;
        string host = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any) ? "+"
            : endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        _listener.Prefixes.Add($"http://{host}:{endPoint.Port}/");
        _listener.Start();
        _loop = LoopAsync();
    }

    /// <summary>Whether a load balancer should send new clients here, and why not.</summary>
    public static (bool Ready, string Reason) Readiness(RelayContext context) =>
        context.Draining ? (false, "draining")
        : context.Registry is IRegistryHealth { IsUp: false } ? (false, "redis unreachable")
        : (true, "ready");

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext request;
            try
            {
                request = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                await AnswerAsync(request).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The scraper went away.
            }
            finally
            {
                request.Response.Close();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext request)
    {
        HttpListenerResponse response = request.Response;
        switch (request.Request.Url?.AbsolutePath)
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await _context.Metrics.Registry.CollectAndExportAsTextAsync(response.OutputStream).ConfigureAwait(false);
                return;
            case "/healthz":
                await WriteAsync(response, 200, "ok").ConfigureAwait(false);
                return;
            case "/readyz":
                (bool ready, string reason) = Readiness(_context);
                await WriteAsync(response, ready ? 200 : 503, reason).ConfigureAwait(false);
                return;
            default:
                await WriteAsync(response, 404, "not found").ConfigureAwait(false);
                return;
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        byte[] body = Encoding.UTF8.GetBytes(text + "\n");
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _listener.Close();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Closed.
        }
    }
}
