using System.Net;
using System.Security.Cryptography;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Nameplates;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Forwarding;

/// <summary>
/// Zero-copy pipes have their own share of the open-file limit, apart from the socket cap: a pipe
/// never takes a slot a connection needs. With the share in use, streaming directions copy, and a
/// relay whose sockets are nearly all taken still accepts and answers a new connection.
/// </summary>
public sealed class PipeDescriptorShareTests
{
    [Theory]
    [InlineData(1_128, true, 128, 876, 124)] // an eighth of the 1,000 left after the 128 kept back
    [InlineData(100_128, true, 128, 99_744, 256)] // two per pipe
    [InlineData(1_128, true, 0, 1_000, 0)]
    [InlineData(1_128, false, 128, 1_000, 0)]
    [InlineData(144, true, 128, 16, 0)] // the socket cap's floor of 16 leaves nothing for pipes
    [InlineData(146, true, 1, 16, 2)]
    public void The_pipes_share_is_carved_out_of_the_open_file_limit_apart_from_the_socket_cap(int openFileLimit, bool zeroCopy, int zeroCopyPipes, int connectionCap, int pipeDescriptors)
    {
        var options = new RelayOptions { Limits = new RelayLimits { ZeroCopy = zeroCopy, ZeroCopyPipes = zeroCopyPipes } };
        using var context = new RelayContext(options, openFileLimit, new InMemoryNameplateRegistry(TimeProvider.System, TimeSpan.FromSeconds(60)), null);

        if (!OperatingSystem.IsLinux())
        {
            // No zero-copy path: nothing is carved out.
            (connectionCap, pipeDescriptors) = (Math.Max(16, openFileLimit - 128), 0);
        }

        Assert.Equal((connectionCap, pipeDescriptors), (context.ConnectionCap, context.PipeDescriptors));
        Assert.True(connectionCap == 16 || connectionCap + pipeDescriptors + 128 == openFileLimit, "sockets, pipes and the process's reserve share the limit");
    }

    [Fact]
    public void A_negative_pipe_count_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelayLimits { ZeroCopyPipes = -1 }.Validate());
        new RelayLimits { ZeroCopyPipes = 0 }.Validate();
    }

    [Fact]
    public async Task Near_the_socket_cap_streaming_pairs_copy_once_the_pipes_are_taken_and_a_new_connection_is_answered()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // splice
        }

        // 146 - 128 kept back = 18: 16 sockets and one pipe (2 descriptors) of its own.
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { ZeroCopyPipes = 1 } }, openFileLimit: 146);
        RelayContext context = relay.Server.Context;
        Assert.Equal((16, 2), (context.ConnectionCap, context.PipeDescriptors));
        SplicePipes pipes = context.Pipes;

        // One pair whose waiter reads nothing: its direction holds the only pipe while its send waits.
        (TestClient stalledWaiter, TestClient stalledJoiner, _) = await relay.PairAsync();
        using var sw = stalledWaiter;
        using var sj = stalledJoiner;
        stalledWaiter.Socket.ReceiveBufferSize = 64 * 1024;
        byte[] held = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        Task holding = SendThenFinAsync(stalledJoiner, held);
        ForwardingDirection stalled = context.Supervisor.Pairs.Single().ToWaiter;
        await Eventually.HoldsAsync(StuckWithItsPipe(stalled), "the stalled direction holds the one pipe, its send pending");
        Assert.Equal(1, pipes.Open);
        int opened = pipes.Opened;
        int failed = pipes.Failed;

        // Six pairs stream both ways: every direction wants a pipe, none is left, so they copy.
        var clients = new List<TestClient>();
        var streams = new List<Task>();
        for (int i = 0; i < 6; i++)
        {
            (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
            clients.Add(waiter);
            clients.Add(joiner);
            streams.Add(EchoCheckAsync(joiner, waiter));
            streams.Add(EchoCheckAsync(waiter, joiner));
        }

        await Task.WhenAll(streams);
        Assert.Equal((1, opened), (pipes.Open, pipes.Opened));
        Assert.True(pipes.Failed > failed, "the streaming directions wanted a pipe and copied");

        // 14 sockets, and a waiter: 15 of 16. The 16th connection is accepted and answered.
        (TestClient fifteenth, _) = await relay.AllocateAsync();
        clients.Add(fifteenth);
        using TestClient sixteenth = await relay.ConnectAsync();
        await sixteenth.SendAsync(new RelayAllocate());
        Assert.IsType<RelayAllocated>(await sixteenth.ReadMessageAsync());
        Assert.Equal(16, relay.Server.Connections);

        // The stalled receiver reads again and gets every byte.
        (byte[] received, bool clean) = await stalledWaiter.ReadToEndAsync();
        await holding;
        Assert.True(clean);
        Assert.Equal(SHA256.HashData(held), SHA256.HashData(received));
        clients.ForEach(c => c.Dispose());
        await Eventually.HoldsAsync(() => pipes.Open == 0, "the pipe closed");
    }

    /// <summary>True once the direction has held its pipe with one send pending over 20 polls in a row (the receiver's buffers are full).</summary>
    private static Func<bool> StuckWithItsPipe(ForwardingDirection direction)
    {
        long since = 0;
        int seen = 0;
        return () =>
        {
            long now = direction.SendingSince;
            seen = direction.HoldsPipe && now != 0 && now == since ? seen + 1 : 0;
            since = now;
            return seen >= 20;
        };
    }

    private static async Task EchoCheckAsync(TestClient from, TestClient to)
    {
        byte[] data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        Task sending = from.SendRawAsync(data);
        Assert.Equal(data, await to.ReadExactlyAsync(data.Length));
        await sending;
    }

    private static async Task SendThenFinAsync(TestClient client, byte[] data)
    {
        await Task.Yield();
        await client.SendRawAsync(data);
        client.ShutdownSend();
    }
}
