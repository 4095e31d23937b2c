using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Tests.Support;

namespace SecureChat.Relay.Tests.Forwarding;

/// <summary>Verbatim forwarding both ways, and the half-close rules (docs/RELAY.md §1).</summary>
public sealed class ForwardingTests
{
    [Fact]
    public async Task A_large_stream_crosses_both_ways_at_once_byte_for_byte()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] up = RandomNumberGenerator.GetBytes(24 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 5);

        Task sendUp = Task.Run(async () =>
        {
            await joiner.SendRawAsync(up);
            joiner.ShutdownSend();
        });
        Task sendDown = Task.Run(async () =>
        {
            await waiter.SendRawAsync(down);
            waiter.ShutdownSend();
        });
        Task<(byte[] Bytes, bool CleanEnd)> atWaiter = waiter.ReadToEndAsync();
        Task<(byte[] Bytes, bool CleanEnd)> atJoiner = joiner.ReadToEndAsync();
        await Task.WhenAll(sendUp, sendDown);
        (byte[] received, bool clean) = await atWaiter;
        (byte[] returned, bool cleanBack) = await atJoiner;

        Assert.True(clean);
        Assert.True(cleanBack);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(received));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(returned));
        PairClosed closed = await relay.Events.WaitForAsync<PairClosed>();
        Assert.Equal((up.LongLength, down.LongLength, "closed"), (closed.BytesToWaiter, closed.BytesToJoiner, closed.Reason));
        await Eventually.HoldsAsync(() => relay.Server.Context.Budget.InUse == 0, "every buffer returned");
    }

    [Fact]
    public async Task A_fin_from_one_side_half_closes_the_other_and_the_way_back_stays_open()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        await joiner.SendRawAsync([7, 7, 7]);
        joiner.ShutdownSend();

        (byte[] atWaiter, bool clean) = await waiter.ReadToEndAsync();
        Assert.Equal([7, 7, 7], atWaiter);
        Assert.True(clean);

        // The waiter can still answer after the joiner's FIN.
        await waiter.SendRawAsync([9, 9]);
        Assert.Equal([9, 9], await joiner.ReadExactlyAsync(2));
        waiter.ShutdownSend();
        Assert.Empty((await joiner.ReadToEndAsync()).Bytes);
        Assert.Equal("closed", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
    }

    [Fact]
    public async Task Both_sockets_close_when_the_grace_after_the_first_fin_runs_out()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        joiner.ShutdownSend();
        await waiter.ReadToEndAsync();
        await Eventually.HoldsAsync(() => relay.Server.Context.Supervisor.Pairs.Any(p => p.IsHalfClosed), "the relay saw the FIN");

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal("half-close-timeout", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
        await joiner.ReadToEndAsync();
    }

    [Fact]
    public async Task A_reset_on_one_side_closes_the_pair()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        joiner.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        joiner.Dispose();

        await waiter.ReadToEndAsync();
        Assert.Contains((await relay.Events.WaitForAsync<PairClosed>()).Reason, new[] { "reset", "closed", "half-close-timeout" });
    }

    [Fact]
    public async Task A_pair_idle_past_its_limit_is_closed_by_the_supervisor()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;

        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(5));

        Assert.Equal("idle", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
        Assert.True((await joiner.ReadToEndAsync()).Bytes.Length == 0);
    }

    [Fact]
    public async Task A_pair_whose_receiver_stopped_reading_is_closed_as_stalled()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        joiner.Socket.ReceiveBufferSize = 4096;

        // The joiner reads nothing: the relay's send to it blocks once the socket buffers are full.
        _ = Task.Run(async () =>
        {
            try
            {
                await waiter.SendRawAsync(new byte[256 * 1024 * 1024]);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The relay closed the pair.
            }
        });
        await Eventually.HoldsAsync(() => relay.Server.Context.Supervisor.Pairs.Any(p => p.ToJoiner.SendingSince != 0 && p.ToJoiner.Bytes > 0), "the relay's send to the joiner is pending");

        // The clock moves only here; a send that completed just before a move restarts its count,
        // so move again until the send that can never complete is caught.
        for (int i = 0; i < 20 && relay.Server.Pairs > 0; i++)
        {
            time.Advance(TimeSpan.FromSeconds(125));
            await Task.Delay(50);
        }

        Assert.Equal("stalled", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
    }

    [Fact]
    public async Task A_pair_is_closed_at_the_end_of_its_lifetime_even_when_busy()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time, Limits = o.Limits with { PairIdleTimeout = TimeSpan.FromDays(2) } });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;

        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(5));

        Assert.Equal("lifetime", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
    }

    [Fact]
    public async Task The_opt_in_byte_cap_closes_a_pair_after_that_many_bytes()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { MaxBytesPerPair = 1000 } });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        await joiner.SendRawAsync(new byte[5000]);

        Assert.Equal(1000, (await waiter.ReadToEndAsync()).Bytes.Length);
        Assert.Equal("byte-cap", (await relay.Events.WaitForAsync<PairClosed>()).Reason);
    }

    [Fact]
    public async Task The_opt_in_rate_cap_paces_a_direction_without_losing_a_byte()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time, Limits = o.Limits with { MaxBytesPerSecond = 1000 } });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        byte[] data = RandomNumberGenerator.GetBytes(3000);
        await joiner.SendRawAsync(data);
        Task<byte[]> received = waiter.ReadExactlyAsync(data.Length);
        SecureChat.Relay.Forwarding.ForwardingDirection toWaiter = relay.Server.Context.Supervisor.Pairs.Single().ToWaiter;
        await Eventually.HoldsAsync(() => toWaiter.Bytes > 0, "the first read was forwarded");

        // The clock has not moved: the direction waits for it before its next read.
        Assert.InRange(toWaiter.Bytes, 1, 1024);
        for (int i = 0; i < 100 && !received.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(received, Task.Delay(20));
        }

        Assert.Equal(data, await received);
    }
}
