using System.Net.Sockets;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>
/// Closing and disposing while the other end does the same, while a receive waits, or while the
/// peer never hangs up: each ends cleanly (no fault), with every key erased and the session's
/// timers gone.
/// </summary>
public class SessionCloseTests
{
    [Fact]
    public async Task Both_ends_disposing_at_once_end_cleanly_with_every_key_erased()
    {
        for (int i = 0; i < 10; i++)
        {
            var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
            await Task.WhenAll(client.DisposeAsync().AsTask(), server.DisposeAsync().AsTask()).WaitAsync(Loopback.Timeout);

            foreach (SecureChatSession session in new[] { client, server })
            {
                Assert.True(session.KeysErased);
                Assert.False(session.HasKeepAliveTimer);
                Assert.IsType<SessionClosed>(await session.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout)); // no fault
                await Assert.ThrowsAsync<InvalidOperationException>(() => session.SendTextAsync("x").AsTask());
            }
        }
    }

    [Fact]
    public async Task Dispose_during_a_pending_receive_ends_that_receive_with_a_clean_close()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (server)
        {
            Task<SessionEvent> pending = client.ReceiveAsync().AsTask();
            Assert.False(pending.IsCompleted);
            await client.DisposeAsync();

            var local = Assert.IsType<SessionClosed>(await pending.WaitAsync(Loopback.Timeout));
            Assert.False(local.ByPeer);
            Assert.True(client.KeysErased);
            Assert.False(client.HasKeepAliveTimer);
            Assert.True((await server.NextAsync<SessionClosed>()).ByPeer);
            Assert.True(server.KeysErased);
        }
    }

    [Fact]
    public async Task Dispose_without_close_sends_the_authenticated_close_and_the_peer_can_dispose_after()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await server.DisposeAsync();
        Assert.True(server.KeysErased);

        var closed = await client.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Null(closed.Reason);
        Assert.True(client.KeysErased);

        // Disposing (twice) after the peer's close is quiet and reports the same end.
        await client.DisposeAsync();
        await client.DisposeAsync();
        Assert.True((await client.NextAsync<SessionClosed>()).ByPeer);
    }

    [Fact]
    public async Task A_close_cancelled_while_it_waits_for_the_peer_still_erases_every_key()
    {
        SilenceableStream? silent = null;
        var (client, accepted) = await Loopback.PairOverAsync(stream => silent = new SilenceableStream(stream));
        await using SecureChatSession server = accepted;

        // The client no longer hears anything: its close sends the CLOSE, then waits for a
        // hang-up that never comes, until its token is cancelled.
        silent!.Silence();
        using var stop = new CancellationTokenSource();
        Task close = client.CloseAsync("leaving", stop.Token).AsTask();
        var closed = await server.NextAsync<SessionClosed>();
        Assert.Equal("leaving", closed.Reason);
        await stop.CancelAsync();
        await close.WaitAsync(Loopback.Timeout);

        Assert.True(client.KeysErased);
        Assert.False(client.HasKeepAliveTimer);
        Assert.False((await client.NextAsync<SessionClosed>()).ByPeer);
    }

    [Fact]
    public async Task A_close_whose_peer_never_hangs_up_ends_after_the_linger_with_every_key_erased()
    {
        SilenceableStream? silent = null;
        var (client, accepted) = await Loopback.PairOverAsync(stream => silent = new SilenceableStream(stream));
        await using SecureChatSession server = accepted;

        silent!.Silence();
        await client.CloseAsync().AsTask().WaitAsync(Loopback.Timeout);

        Assert.True(client.KeysErased);
        Assert.True(silent!.Disposed);
        Assert.True((await server.NextAsync<SessionClosed>()).ByPeer);
    }

    [Fact]
    public async Task A_close_that_arrives_with_the_handshakes_last_message_ends_the_session_as_it_starts()
    {
        using var listener = Loopback.Listen();
        Task<SecureChatSession> connect = SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options()).AsTask();
        Socket accepted = await listener.AcceptSocketAsync().WaitAsync(Loopback.Timeout);
        accepted.NoDelay = true;

        // The responder's READY is held back and written together with its CLOSE, so the client
        // reads both at once: the CLOSE is already buffered when its session starts.
        var holding = new HoldSecondWriteStream(new NetworkStream(accepted, ownsSocket: true));
        SecureChatSession server = await SecureChatSession.AcceptAsync(holding, Loopback.Options()).AsTask().WaitAsync(Loopback.Timeout);
        Task close = server.CloseAsync("at once").AsTask();
        SecureChatSession client = await connect.WaitAsync(Loopback.Timeout);
        await close.WaitAsync(Loopback.Timeout);

        var closed = await client.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Equal("at once", closed.Reason);
        Assert.True(client.KeysErased);
        Assert.False(client.HasKeepAliveTimer); // stopped before it was started: never made
        Assert.True(server.KeysErased);
        await client.DisposeAsync();
    }

    /// <summary>A stream whose reads, once silenced, wait until cancelled: a peer that never answers nor hangs up.</summary>
    private sealed class SilenceableStream(Stream inner) : DelegatingStream(inner)
    {
        private volatile bool _silent;

        public bool Disposed { get; private set; }

        public void Silence() => _silent = true;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_silent)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await Inner.ReadAsync(buffer, cancellationToken);
        }

        public override async ValueTask DisposeAsync()
        {
            Disposed = true;
            await base.DisposeAsync();
        }
    }

    /// <summary>Holds the second write (the responder's READY) and sends it with the third.</summary>
    private sealed class HoldSecondWriteStream(Stream inner) : DelegatingStream(inner)
    {
        private int _writes;
        private byte[]? _held;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int index = Interlocked.Increment(ref _writes);
            if (index == 2)
            {
                _held = buffer.ToArray();
                return;
            }

            if (_held is { } held)
            {
                _held = null;
                byte[] both = [.. held, .. buffer.Span];
                await Inner.WriteAsync(both, cancellationToken);
                return;
            }

            await Inner.WriteAsync(buffer, cancellationToken);
        }
    }
}
