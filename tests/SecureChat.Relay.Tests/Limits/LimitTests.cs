using System.Net;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Limits;

/// <summary>busy and rate-limited at the limits, and --exempt (docs/RELAY.md, "Limits"). All clients are 127.0.0.1.</summary>
public sealed class LimitTests
{
    private static readonly TimeSpan Never = TimeSpan.FromDays(1);

    [Fact]
    public async Task Allocations_past_the_waiting_cap_are_busy()
    {
        await using var relay = TestRelay.Start(o => o with { MaxWaiting = 2 });
        (TestClient a, _) = await relay.AllocateAsync();
        (TestClient b, _) = await relay.AllocateAsync();
        using var x = a;
        using var y = b;
        using TestClient c = await relay.ConnectAsync();
        await c.SendAsync(new RelayAllocate());

        Assert.Equal(RelayErrorCodes.Busy, await c.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task Allocations_past_the_per_address_waiting_limit_are_busy()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { WaitingPerAddress = 1 } });
        (TestClient a, _) = await relay.AllocateAsync();
        using var x = a;
        using TestClient b = await relay.ConnectAsync();
        await b.SendAsync(new RelayAllocate());

        Assert.Equal(RelayErrorCodes.Busy, await b.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task Connections_past_the_per_address_limit_without_a_first_frame_are_busy()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { FirstFramePerAddress = 2 } });
        using TestClient a = await relay.ConnectAsync();
        using TestClient b = await relay.ConnectAsync();
        await Eventually.HoldsAsync(() => relay.Server.AwaitingFirstFrame == 2, "two silent connections");
        using TestClient c = await relay.ConnectAsync();

        Assert.Equal(RelayErrorCodes.Busy, await c.ReadErrorCodeAsync());

        // A silent connection that finally asks is served.
        await a.SendAsync(new RelayAllocate());
        Assert.IsType<RelayAllocated>(await a.ReadMessageAsync());
    }

    [Fact]
    public async Task Connections_past_the_global_limit_without_a_first_frame_are_busy_even_when_exempt()
    {
        await using var relay = TestRelay.Start(o => o with { Exempt = [IPNetwork.Parse("127.0.0.0/8")], Limits = o.Limits with { FirstFrameGlobal = 1 } });
        using TestClient a = await relay.ConnectAsync();
        await Eventually.HoldsAsync(() => relay.Server.AwaitingFirstFrame == 1, "one silent connection");
        using TestClient b = await relay.ConnectAsync();

        Assert.Equal(RelayErrorCodes.Busy, await b.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task A_claim_past_the_pair_cap_is_busy_and_does_not_consume_the_nameplate()
    {
        await using var relay = TestRelay.Start(o => o with { MaxPairs = 1 });
        (TestClient w1, TestClient j1, _) = await relay.PairAsync();
        (TestClient w2, string second) = await relay.AllocateAsync();
        using var w = w2;
        using (TestClient j2 = await relay.ConnectAsync())
        {
            await j2.SendAsync(new RelayClaim(second));
            Assert.Equal(RelayErrorCodes.Busy, await j2.ReadErrorCodeAsync());
        }

        w1.Dispose();
        j1.Dispose();
        await relay.Events.WaitForAsync<PairClosed>();
        using TestClient j3 = await relay.ConnectAsync();
        await j3.SendAsync(new RelayClaim(second));
        Assert.IsType<RelayPaired>(await j3.ReadMessageAsync());
        Assert.IsType<RelayPaired>(await w2.ReadMessageAsync());
    }

    [Fact]
    public async Task A_claim_past_the_per_address_pair_limit_is_busy()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { PairsPerAddress = 1 } });
        (TestClient w1, TestClient j1, _) = await relay.PairAsync();
        using var a = w1;
        using var b = j1;
        (TestClient w2, string second) = await relay.AllocateAsync();
        using var c = w2;
        using TestClient j2 = await relay.ConnectAsync();
        await j2.SendAsync(new RelayClaim(second));

        Assert.Equal(RelayErrorCodes.Busy, await j2.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task Allocations_past_the_burst_are_rate_limited()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { AllocationBurst = 2, AllocationsPerMinute = 1 } });
        await using var _ = new Disposer((await relay.AllocateAsync()).Waiter, (await relay.AllocateAsync()).Waiter);
        using TestClient third = await relay.ConnectAsync();
        await third.SendAsync(new RelayAllocate());

        Assert.Equal(RelayErrorCodes.RateLimited, await third.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task Claims_past_the_burst_are_rate_limited()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { ClaimBurst = 2, ClaimsPerMinute = 1, FailedClaimBurst = 10 } });
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "5"));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "6"));

        Assert.Equal(RelayErrorCodes.RateLimited, await ClaimAsync(relay, "7"));
    }

    [Fact]
    public async Task After_the_failed_claim_burst_every_claim_is_rate_limited_even_a_right_one()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { FailedClaimBurst = 2, FailedClaimInterval = Never } });
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "500"));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "501"));

        Assert.Equal(RelayErrorCodes.RateLimited, await ClaimAsync(relay, nameplate));
    }

    [Fact]
    public async Task An_exempt_network_skips_the_per_address_limits()
    {
        await using var relay = TestRelay.Start(o => o with
        {
            Exempt = [IPNetwork.Parse("127.0.0.0/8")],
            Limits = o.Limits with { AllocationBurst = 1, AllocationsPerMinute = 1, WaitingPerAddress = 1, FailedClaimBurst = 1, FailedClaimInterval = Never },
        });
        var waiters = new List<TestClient>();
        for (int i = 0; i < 5; i++)
        {
            waiters.Add((await relay.AllocateAsync()).Waiter);
        }

        await using var _ = new Disposer([.. waiters]);
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "900"));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "901"));
    }

    [Fact]
    public async Task A_draining_relay_refuses_allocations_but_pairs_its_waiters()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var w = waiter;
        Task stopping = relay.Server.StopAsync(TimeSpan.FromMinutes(5));
        await relay.Events.WaitForAsync<RelayDraining>();

        using TestClient late = await relay.ConnectAsync();
        await late.SendAsync(new RelayAllocate());
        Assert.Equal(RelayErrorCodes.Busy, await late.ReadErrorCodeAsync());

        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        await joiner.SendRawAsync([4, 2]);
        Assert.Equal([4, 2], await waiter.ReadExactlyAsync(2));

        // The relay stops once its last pair has ended.
        joiner.ShutdownSend();
        waiter.ShutdownSend();
        await stopping.WaitAsync(TestClient.Guard);
        Assert.Equal(0, (await relay.Events.WaitForAsync<RelayStopped>()).Pairs);
    }

    [Fact]
    public async Task Refusals_are_summarised_by_code()
    {
        await using var relay = TestRelay.Start(o => o with { Limits = o.Limits with { FailedClaimBurst = 100 } });
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "5"));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await ClaimAsync(relay, "6"));

        relay.Server.Context.Refusals.Flush();

        RefusalsSummarised summary = await relay.Events.WaitForAsync<RefusalsSummarised>();
        Assert.Equal(2, summary.Counts[RelayErrorCodes.UnknownNameplate]);
    }

    [Fact]
    public async Task Every_ten_seconds_the_refusals_of_the_interval_become_one_event()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        using (TestClient bad = await relay.ConnectAsync())
        {
            await bad.SendRawAsync([0, 0]);
            Assert.Equal(RelayErrorCodes.BadRequest, await bad.ReadErrorCodeAsync());
        }

        time.Advance(TimeSpan.FromSeconds(10));

        RefusalsSummarised summary = await relay.Events.WaitForAsync<RefusalsSummarised>();
        Assert.Equal(new Dictionary<string, long> { [RelayErrorCodes.BadRequest] = 1 }, summary.Counts);
        Assert.Equal(TimeSpan.FromSeconds(10), summary.Interval);
    }

    private static async Task<string> ClaimAsync(TestRelay relay, string nameplate)
    {
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        return await joiner.ReadErrorCodeAsync();
    }

    private sealed class Disposer(params TestClient[] clients) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            foreach (TestClient client in clients)
            {
                client.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }
}
