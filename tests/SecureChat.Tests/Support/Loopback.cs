using System.Net;
using System.Net.Sockets;
using SecureChat.Session;

namespace SecureChat.Tests.Support;

/// <summary>Two sessions over a real TCP connection on 127.0.0.1.</summary>
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

    /// <summary>Runs both handshakes at once and returns (initiator, responder).</summary>
    public static async Task<(SecureChatSession Client, SecureChatSession Server)> PairAsync(SessionOptions clientOptions, SessionOptions serverOptions)
    {
        using var listener = Listen();
        Task<SecureChatSession> server = AcceptOneAsync(listener, serverOptions);
        Task<SecureChatSession> client = SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), clientOptions).AsTask();
        try
        {
            await Task.WhenAll(server, client).WaitAsync(Timeout);
        }
        catch
        {
            await DisposeIfCreated(server);
            await DisposeIfCreated(client);
            if (client.IsFaulted)
            {
                // The initiator's error is usually the cause; the responder only sees the hang-up.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(client.Exception!.InnerException!).Throw();
            }

            throw;
        }

        return (client.Result, server.Result);
    }

    /// <summary>
    /// Like <see cref="PairAsync"/> with default options, but each side's connection goes through
    /// a test stream of the caller's (<paramref name="wrapClient"/>, <paramref name="wrapServer"/>): (initiator, responder).
    /// </summary>
    public static async Task<(SecureChatSession Client, SecureChatSession Server)> PairOverAsync(Func<Stream, Stream>? wrapClient, Func<Stream, Stream>? wrapServer = null)
    {
        using var listener = Listen();
        Task<SecureChatSession> accepting = Task.Run(async () =>
        {
            Socket socket = await listener.AcceptSocketAsync();
            socket.NoDelay = true;
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            return await SecureChatSession.AcceptAsync(wrapServer?.Invoke(stream) ?? stream, Options());
        });
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", listener.Port());
        Stream clientStream = new NetworkStream(client, ownsSocket: true);
        SecureChatSession session = await SecureChatSession.ConnectAsync(wrapClient?.Invoke(clientStream) ?? clientStream, Options()).AsTask().WaitAsync(Timeout);
        return (session, await accepting.WaitAsync(Timeout));
    }

    public static async Task<SecureChatSession> AcceptOneAsync(TcpListener listener, SessionOptions options)
    {
        Socket socket = await listener.AcceptSocketAsync();
        socket.NoDelay = true;
        return await SecureChatSession.AcceptAsync(new NetworkStream(socket, ownsSocket: true), options);
    }

    private static async Task DisposeIfCreated(Task<SecureChatSession> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            await task.Result.DisposeAsync();
        }
    }

    /// <summary>Options for a test session: no key log, an optional passphrase and secret registry.</summary>
    internal static SessionOptions Options(Identity.Passphrase? passphrase = null, Crypto.SecretRegistry? registry = null) => new()
    {
        Passphrase = passphrase,
        KeyLogFile = null,
        TestHooks = new SessionTestHooks { Registry = registry },
    };

    public static async Task<T> NextAsync<T>(this SecureChatSession session)
        where T : SessionEvent
    {
        SessionEvent evt = await session.ReceiveAsync().AsTask().WaitAsync(Timeout);
        return Assert.IsType<T>(evt);
    }
}
