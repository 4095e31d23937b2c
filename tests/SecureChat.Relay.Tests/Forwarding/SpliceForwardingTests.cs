using System.Security.Cryptography;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Tests.Support;

namespace SecureChat.Relay.Tests.Forwarding;

/// <summary>
/// The zero-copy path (Linux: splice through a kernel pipe) and its fallback, the managed copy:
/// byte-exact both ways, half-close, a receiver that stops reading (backpressure: nothing grows),
/// pipes released when a direction goes idle or ends, and the copy when no descriptor is left.
/// </summary>
public sealed class SpliceForwardingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Large_random_streams_cross_both_ways_at_once_byte_for_byte(bool zeroCopy)
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { ZeroCopy = zeroCopy } });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] up = RandomNumberGenerator.GetBytes(40 * 1024 * 1024 + 4099);
        byte[] down = RandomNumberGenerator.GetBytes(17 * 1024 * 1024 + 1);

        Task sendUp = SendThenFinAsync(joiner, up);
        Task sendDown = SendThenFinAsync(waiter, down);
        Task<(byte[] Bytes, bool CleanEnd)> atWaiter = waiter.ReadToEndAsync();
        Task<(byte[] Bytes, bool CleanEnd)> atJoiner = joiner.ReadToEndAsync();
        await Task.WhenAll(sendUp, sendDown);
        (byte[] received, bool clean) = await atWaiter;
        (byte[] returned, bool cleanBack) = await atJoiner;

        Assert.True(clean && cleanBack);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(received));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(returned));
        PairClosed closed = await relay.Events.WaitForAsync<PairClosed>();
        Assert.Equal((up.LongLength, down.LongLength, "closed"), (closed.BytesToWaiter, closed.BytesToJoiner, closed.Reason));
        SplicePipes pipes = relay.Server.Context.Pipes;
        if (zeroCopy && OperatingSystem.IsLinux())
        {
            Assert.True(pipes.Opened > 0, "the zero-copy path was used");
        }
        else
        {
            Assert.Equal(0, pipes.Opened);
        }

        await Eventually.HoldsAsync(() => pipes.Open == 0 && relay.Server.Context.Budget.InUse == 0, "every pipe closed and every buffer returned");
    }

    [Fact]
    public async Task A_fin_after_a_large_stream_arrives_after_its_last_byte_and_the_way_back_stays_open()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] up = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 3);
        Task sending = SendThenFinAsync(joiner, up);

        (byte[] atWaiter, bool clean) = await waiter.ReadToEndAsync();
        await sending;
        Assert.True(clean);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(atWaiter));

        byte[] back = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        Task answering = SendThenFinAsync(waiter, back);
        (byte[] atJoiner, bool cleanBack) = await joiner.ReadToEndAsync();
        await answering;
        Assert.True(cleanBack);
        Assert.Equal(SHA256.HashData(back), SHA256.HashData(atJoiner));
        Assert.Equal("closed", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
        await Eventually.HoldsAsync(() => relay.Server.Context.Pipes.Open == 0, "both pipes closed");
    }

    [Fact]
    public async Task A_receiver_that_stops_reading_holds_the_sender_back_with_bounded_buffers_then_gets_every_byte()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        waiter.Socket.ReceiveBufferSize = 64 * 1024;
        byte[] data = RandomNumberGenerator.GetBytes(96 * 1024 * 1024);
        Task sending = SendThenFinAsync(joiner, data);
        ForwardingDirection toWaiter = relay.Server.Context.Supervisor.Pairs.Single().ToWaiter;

        // The waiter reads nothing: the relay's send to it waits once the socket buffers are full,
        // and then the relay reads no more from the joiner.
        await Eventually.HoldsAsync(() => toWaiter.SendingSince != 0 && toWaiter.Bytes > 0, "the relay's send to the waiter is pending");
        long stuckAt = toWaiter.Bytes;
        await Task.Delay(300);
        Assert.False(sending.IsCompleted, "the sender is held back");
        Assert.InRange(toWaiter.Bytes, stuckAt, stuckAt + (8 * 1024 * 1024));
        Assert.InRange(relay.Server.Context.Budget.InUse, 0, relay.Server.Context.Limits.MaxReadSize);
        Assert.InRange(relay.Server.Context.Pipes.Open, 0, 1);

        (byte[] received, bool clean) = await waiter.ReadToEndAsync();
        await sending;
        Assert.True(clean);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
    }

    [Fact]
    public async Task A_direction_that_goes_idle_closes_its_pipe_and_opens_one_again_when_bytes_come()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        SplicePipes pipes = relay.Server.Context.Pipes;
        Pair pair = relay.Server.Context.Supervisor.Pairs.Single();
        for (int round = 1; round <= 3; round++)
        {
            byte[] data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
            await joiner.SendRawAsync(data);
            Assert.Equal(data, await waiter.ReadExactlyAsync(data.Length));

            // Nothing more comes: the direction waits for input without a pipe.
            await Eventually.HoldsAsync(() => !pair.ToWaiter.HoldsPipe && pipes.Open == 0, "the idle direction closed its pipe");
            Assert.True(pipes.Opened >= round);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Urgent_data_does_not_stop_the_direction_and_is_skipped_as_a_receive_skips_it(bool zeroCopy)
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { ZeroCopy = zeroCopy } });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] before = RandomNumberGenerator.GetBytes(300 * 1024);
        byte[] after = RandomNumberGenerator.GetBytes(200 * 1024);

        await joiner.SendRawAsync(before);
        Assert.Equal(before, await waiter.ReadExactlyAsync(before.Length));
        await joiner.Socket.SendAsync(new byte[] { 0x55 }, System.Net.Sockets.SocketFlags.OutOfBand);
        await joiner.SendRawAsync(after);
        joiner.ShutdownSend();

        // Splice stops short of the urgent byte; the relay copies that read instead of spinning,
        // and (urgent data not being inline) the byte is not forwarded, as before splice.
        (byte[] rest, bool clean) = await waiter.ReadToEndAsync();
        Assert.True(clean);
        Assert.Equal(after, rest);
    }

    [Fact]
    public async Task With_no_descriptor_to_spare_a_direction_copies_instead_and_loses_nothing()
    {
        // A socket cap of 16 (the open-file limit less the 128 kept back), its floor, which leaves
        // no descriptor for pipes: seven idle pairs and this one take every socket slot, and no
        // pipe can be opened.
        await using var relay = TestRelay.Start(openFileLimit: 144);
        var idle = new List<TestClient>();
        for (int i = 0; i < 7; i++)
        {
            (TestClient a, TestClient b, _) = await relay.PairAsync();
            idle.Add(a);
            idle.Add(b);
        }

        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] data = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        Task sending = SendThenFinAsync(joiner, data);
        (byte[] received, bool clean) = await waiter.ReadToEndAsync();
        await sending;

        Assert.True(clean);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
        SplicePipes pipes = relay.Server.Context.Pipes;
        Assert.Equal(0, pipes.Opened);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(pipes.Failed > 0, "a pipe was wanted and refused");
        }

        idle.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Forwarded_bytes_are_counted_in_the_metrics_while_the_pair_is_still_open()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
        await joiner.SendRawAsync(data);
        Assert.Equal(data.Length, (await waiter.ReadExactlyAsync(data.Length)).Length);
        await waiter.SendRawAsync([1, 2, 3]);
        Assert.Equal(3, (await joiner.ReadExactlyAsync(3)).Length);

        string text = await ExportAsync(relay);
        Assert.Contains($"securechat_relay_forwarded_bytes_total{{direction=\"to_waiter\"}} {data.Length}", text, StringComparison.Ordinal);
        Assert.Contains("securechat_relay_forwarded_bytes_total{direction=\"to_joiner\"} 3", text, StringComparison.Ordinal);
        Assert.Equal(1, relay.Server.Pairs);

        // Closing the pair adds nothing more.
        waiter.ShutdownSend();
        joiner.ShutdownSend();
        await relay.Events.WaitForAsync<PairClosed>();
        Assert.Contains($"securechat_relay_forwarded_bytes_total{{direction=\"to_waiter\"}} {data.Length}", await ExportAsync(relay), StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(TestRelay relay)
    {
        using var stream = new MemoryStream();
        await relay.Server.Context.Metrics.Registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task SendThenFinAsync(TestClient client, byte[] data)
    {
        await Task.Yield();
        await client.SendRawAsync(data);
        client.ShutdownSend();
    }
}
