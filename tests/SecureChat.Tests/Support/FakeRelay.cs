using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SecureChat.Rendezvous;

namespace SecureChat.Tests.Support;

/// <summary>
/// A small relay for tests, speaking the protocol of issue 13 / docs/RELAY.md: allocate →
/// allocated (nameplates 17, 18, …), claim → paired to the waiter first, then to the joiner,
/// then bytes forwarded verbatim with half-closes; an unknown nameplate → unknown-nameplate. A
/// test can make it answer claims or allocations with anything (an error, a redirect, garbage).
/// Shared by the library and the CLI tests (linked into the latter).
/// </summary>
internal sealed class FakeRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, NetworkStream> _waiting = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;
    private int _nextNameplate = 16;
    private int _claims;
    private int _allocations;
    private int _disposed;

    private FakeRelay()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The relay's port on 127.0.0.1.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Address => "127.0.0.1:" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Claims received so far.</summary>
    public int Claims => Volatile.Read(ref _claims);

    /// <summary>Allocations received so far.</summary>
    public int Allocations => Volatile.Read(ref _allocations);

    /// <summary>When set, the raw bytes sent in answer to a claim (for its nameplate) instead of pairing; null pairs as usual.</summary>
    public Func<string, byte[]?>? ClaimAnswer { get; set; }

    /// <summary>Sends <see cref="ClaimAnswer"/> one byte at a time.</summary>
    public bool Trickle { get; set; }

    /// <summary>When set, the raw bytes sent in answer to an allocation instead of "allocated"; null allocates as usual.</summary>
    public Func<byte[]?>? AllocateAnswer { get; set; }

    /// <summary>When set, called with the waiter's and the joiner's streams right after both got "paired", instead of forwarding.</summary>
    public Func<NetworkStream, NetworkStream, Task>? Pair { get; set; }

    /// <summary>When set, a claim is answered "paired" at once with no waiter, and the joiner's stream goes here: the relay plays the listener itself.</summary>
    public Func<NetworkStream, Task>? PlayListener { get; set; }

    public static FakeRelay Start() => new();

    /// <summary>Forwards bytes both ways between two streams until both directions have ended.</summary>
    public static Task SpliceAsync(NetworkStream a, NetworkStream b) => Task.WhenAll(ForwardAsync(a, b), ForwardAsync(b, a));

    /// <summary>The frame for a message.</summary>
    public static byte[] Frame(RelayMessage message) => RelayControl.Encode(message);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                socket.NoDelay = true;
                _sockets.Add(socket);
                _ = Task.Run(() => ServeAsync(socket));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            RelayMessage request = await ReadAsync(stream);
            switch (request)
            {
                case RelayAllocate:
                    Interlocked.Increment(ref _allocations);
                    if (AllocateAnswer?.Invoke() is { } allocateAnswer)
                    {
                        await stream.WriteAsync(allocateAnswer, _stop.Token);
                        await LingerAsync(stream);
                        return;
                    }

                    string nameplate = Interlocked.Increment(ref _nextNameplate).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    _waiting[nameplate] = stream;
                    await stream.WriteAsync(Frame(new RelayAllocated(nameplate, 600)), _stop.Token);
                    return; // the claim takes it from here
                case RelayClaim claim:
                    Interlocked.Increment(ref _claims);
                    if (ClaimAnswer?.Invoke(claim.Nameplate) is { } claimAnswer)
                    {
                        if (Trickle)
                        {
                            for (int i = 0; i < claimAnswer.Length; i++)
                            {
                                await stream.WriteAsync(claimAnswer.AsMemory(i, 1), _stop.Token);
                                await stream.FlushAsync(_stop.Token);
                                await Task.Delay(1, _stop.Token);
                            }
                        }
                        else
                        {
                            await stream.WriteAsync(claimAnswer, _stop.Token);
                        }

                        await LingerAsync(stream);
                        return;
                    }

                    if (PlayListener is { } play)
                    {
                        await stream.WriteAsync(Frame(new RelayPaired()), _stop.Token);
                        await play(stream);
                        stream.Dispose();
                        return;
                    }

                    if (!_waiting.TryRemove(claim.Nameplate, out NetworkStream? waiter))
                    {
                        await stream.WriteAsync(Frame(new RelayError(RelayErrorCodes.UnknownNameplate, "nobody is waiting under " + claim.Nameplate)), _stop.Token);
                        await LingerAsync(stream);
                        return;
                    }

                    await waiter.WriteAsync(Frame(new RelayPaired()), _stop.Token);
                    await stream.WriteAsync(Frame(new RelayPaired()), _stop.Token);
                    if (Pair is { } pair)
                    {
                        await pair(waiter, stream);
                        waiter.Dispose();
                        stream.Dispose();
                        return;
                    }

                    await Task.WhenAll(ForwardAsync(waiter, stream), ForwardAsync(stream, waiter));
                    waiter.Dispose();
                    stream.Dispose();
                    return;
                default:
                    await stream.WriteAsync(Frame(new RelayError(RelayErrorCodes.BadRequest, "not a request")), _stop.Token);
                    await LingerAsync(stream);
                    return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or FormatException or ObjectDisposedException or EndOfStreamException)
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>After an answer that ends the conversation: half-close, then drop what comes, as the real relay does.</summary>
    private static async Task LingerAsync(NetworkStream stream)
    {
        stream.Socket.Shutdown(SocketShutdown.Send);
        using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        byte[] discard = new byte[4096];
        try
        {
            while (await stream.ReadAsync(discard, linger.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // Done lingering.
        }

        await stream.DisposeAsync();
    }

    private static async Task ForwardAsync(NetworkStream from, NetworkStream to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read));
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            try
            {
                to.Socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception inner) when (inner is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }

    private async Task<RelayMessage> ReadAsync(NetworkStream stream)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        byte[] header = new byte[2];
        await stream.ReadExactlyAsync(header, deadline.Token);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (length is 0 or > RelayControl.MaxBodyLength)
        {
            throw new FormatException("frame too long");
        }

        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body, deadline.Token);
        return RelayControl.Parse(body);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        _stop.Dispose();
    }
}
