using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureChat.Relay.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> (the Debian package; .ci/run installs it) on 127.0.0.1 and a free
/// port, without persistence and with <c>maxmemory-policy noeviction</c> as docs/RELAY.md asks.
/// It can be stopped and started again on the same port, empty, as after a crash.
/// </summary>
internal sealed class TestRedis : IDisposable
{
    private static readonly HashSet<int> Handed = [];

    private Process? _process;

    private readonly string? _password;

    private TestRedis(int port, string? password)
    {
        Port = port;
        _password = password;
    }

    public int Port { get; }

    public string EndPoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Starts one; with <paramref name="password"/> it requires AUTH.</summary>
    public static async Task<TestRedis> StartAsync(string? password = null)
    {
        var redis = new TestRedis(FreePort(), password);
        await redis.StartAgainAsync();
        return redis;
    }

    /// <summary>
    /// A TCP port free now on 127.0.0.1, below the kernel's ephemeral range (so no outgoing
    /// connection's local port can take it before the server binds it) and never handed out twice
    /// in this process.
    /// </summary>
    public static int FreePort()
    {
        lock (Handed)
        {
            while (true)
            {
                int port = System.Security.Cryptography.RandomNumberGenerator.GetInt32(20_000, 32_000);
                if (!Handed.Add(port))
                {
                    continue;
                }

                try
                {
                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    return port;
                }
                catch (SocketException)
                {
                    // Taken by someone else: try another.
                }
            }
        }
    }

    /// <summary>Starts the server (again, empty) and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction", "--daemonize", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        if (_password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(_password);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: these tests start a real one. Install the Debian package (apt-get install redis-server; .ci/run does).", e);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Process started = _process;
        await Eventually.HoldsAsync(() => started.HasExited ? throw new InvalidOperationException($"redis-server exited with {started.ExitCode} (port {Port} taken?).") : Pings(), "redis-server answers PING");
    }

    /// <summary>Kills the server (its data is gone: no persistence).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    private bool Pings()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, Port);
            socket.Send("PING\r\n"u8);
            byte[] answer = new byte[7];
            int n = socket.Receive(answer);
            string reply = Encoding.ASCII.GetString(answer, 0, n);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => Stop();
}
