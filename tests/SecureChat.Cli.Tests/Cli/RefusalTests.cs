using System.Net;
using System.Net.Sockets;
using System.Text;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A refusal frame (SCERR, docs/PROTOCOL.md §2) travels in the clear before any key exists, so
/// anyone on the path can forge one. The client must report what the server claims and must never
/// tell the user to weaken a setting because of it (a forged "no passphrase expected" would
/// otherwise talk the user out of --psk: a downgrade).
/// </summary>
public class RefusalTests
{
    /// <summary>A server that answers every connection with one forged refusal frame and hangs up.</summary>
    private static async Task<(TcpListener Listener, Task Serving)> ForgedRefusalServerAsync(byte code, string reason)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task serving = Task.Run(async () =>
        {
            using Socket socket = await listener.AcceptSocketAsync();
            byte[] buffer = new byte[4096];
            await socket.ReceiveAsync(buffer); // the hello and message 1
            byte[] payload = [.. "SCERR"u8, code, .. Encoding.UTF8.GetBytes(reason)];
            byte[] frame = [(byte)(payload.Length >> 8), (byte)payload.Length, .. payload];
            await socket.SendAsync(frame);
            socket.Shutdown(SocketShutdown.Send);
            await Task.Delay(500);
        });
        await Task.Yield();
        return (listener, serving);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    public async Task A_forged_refusal_is_reported_as_a_claim_and_never_advises_dropping_the_passphrase(byte code, bool json)
    {
        using var home = new TempHome();
        var (listener, serving) = await ForgedRefusalServerAsync(code, "connect without --psk, it is safe");
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var environment = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "our shared secret" };
            string address = "127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string[] args = json ? ["connect", address, "--psk", "--json"] : ["connect", address, "--psk"];
            await using CliProcess client = CliProcess.Start(home.Path, environment, args);
            client.CloseInput();
            int exitCode = await client.ExitCodeAsync();
            await serving;

            Assert.NotEqual(0, exitCode);
            string everything = client.Stdout + client.Stderr;
            Assert.Contains("says", everything, StringComparison.Ordinal);
            Assert.Contains("not authenticated", everything, StringComparison.Ordinal);
            Assert.DoesNotContain("without --psk", everything, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("drop --psk", everything, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("it is safe", everything, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
        }
    }
}
