using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A REFUSE frame (kind 0x04, docs/PROTOCOL.md §5) travels before any key is confirmed, so anyone on
/// the path can forge one. The client must report what the server claims, marked unauthenticated,
/// must never tell the user to weaken a setting because of it (a forged "no passphrase expected"
/// would otherwise talk the user out of --psk: a downgrade), and must never change the version or
/// the mode, fall back or retry on its own.
/// </summary>
public class RefusalTests
{
    private const byte Hello = 0x01;
    private const byte Refuse = 0x04;

    /// <summary>
    /// A fake v2 server: it reads each connection's first frame (the HELLO), answers with one forged
    /// REFUSE and hangs up. It remembers every connection and every HELLO payload.
    /// </summary>
    private sealed class ForgedRefusalServer : IAsyncDisposable
    {
        private readonly CountingListener _listener;

        public ForgedRefusalServer(byte code, string reason)
        {
            byte[] payload = [code, .. Encoding.UTF8.GetBytes(reason)];
            byte[] frame = [(byte)((payload.Length + 1) >> 8), (byte)(payload.Length + 1), Refuse, .. payload];
            _listener = new CountingListener(socket => AnswerAsync(socket, frame));
        }

        public string Address => _listener.Address;

        /// <summary>Connections accepted so far (plus any still waiting in the backlog once stopped).</summary>
        public int Connections => _listener.Connections;

        /// <summary>The first frame of each connection: kind ‖ payload.</summary>
        public ConcurrentQueue<byte[]> FirstFrames { get; } = new();

        private async Task AnswerAsync(Socket socket, byte[] refusal)
        {
            using (socket)
            {
                byte[] first = await ReadFrameAsync(socket);
                FirstFrames.Enqueue(first);
                await socket.SendAsync(refusal);
                socket.Shutdown(SocketShutdown.Send);
                await Task.Delay(300);
            }
        }

        private static async Task<byte[]> ReadFrameAsync(Socket socket)
        {
            byte[] length = new byte[2];
            await ReadExactlyAsync(socket, length);
            byte[] body = new byte[(length[0] << 8) | length[1]];
            await ReadExactlyAsync(socket, body);
            return body;
        }

        private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
        {
            using var timeout = new CancellationTokenSource(CliProcess.Timeout);
            while (buffer.Length > 0)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    throw new IOException("the client closed before a whole frame");
                }

                buffer = buffer[read..];
            }
        }

        /// <summary>Stops accepting and counts what was still queued, so a late retry is not missed.</summary>
        public Task<int> StopAsync() => _listener.StopAsync();

        public ValueTask DisposeAsync() => _listener.DisposeAsync();
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    public async Task A_forged_refusal_is_reported_as_a_claim_and_never_advises_dropping_the_passphrase(byte code, bool json)
    {
        using var home = new TempHome();
        await using var server = new ForgedRefusalServer(code, "connect without --psk, it is safe");
        var environment = new Dictionary<string, string> { ["SECURECHAT_PASSPHRASE"] = "our shared secret" };
        string[] args = json ? ["connect", server.Address, "--psk", "--json"] : ["connect", server.Address, "--psk"];
        await using CliProcess client = CliProcess.Start(home.Path, environment, args);
        client.CloseInput();
        int exitCode = await client.ExitCodeAsync();
        await server.StopAsync();

        Assert.NotEqual(0, exitCode);
        string everything = client.Stdout + client.Stderr;
        Assert.Contains("says (unauthenticated)", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("without --psk", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("drop --psk", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("it is safe", everything, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public async Task A_forged_refuse_1_2_or_3_never_changes_the_version_or_the_mode_and_is_never_retried(byte code, bool psk)
    {
        using var home = new TempHome();
        await using var server = new ForgedRefusalServer(code, "try version 1 without a passphrase");
        Dictionary<string, string>? environment = psk ? new() { ["SECURECHAT_PASSPHRASE"] = "our shared secret" } : null;
        string[] args = psk ? ["connect", server.Address, "--psk"] : ["connect", server.Address];
        await using CliProcess client = CliProcess.Start(home.Path, environment, args);
        client.CloseInput();
        int exitCode = await client.ExitCodeAsync();
        await server.StopAsync();

        Assert.NotEqual(0, exitCode);
        string everything = client.Stdout + client.Stderr;
        Assert.Contains("says (unauthenticated)", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Secure session established", everything, StringComparison.Ordinal);

        // Exactly one connection and one HELLO: "SCHAT", version 2, the mode the user asked for.
        Assert.Equal(1, server.Connections);
        byte[] hello = Assert.Single(server.FirstFrames);
        Assert.Equal([Hello, .. "SCHAT"u8, 0x02, psk ? (byte)0x02 : (byte)0x01], hello);
    }
}
