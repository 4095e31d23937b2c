using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Nameplates;

/// <summary>Unknown, used, expired and quarantined nameplates over real sockets (docs/RELAY.md, "Nameplates").</summary>
public sealed class NameplateTests
{
    [Fact]
    public async Task A_claim_of_a_nameplate_nobody_holds_is_unknown()
    {
        await using var relay = TestRelay.Start();
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim("17"));

        var error = Assert.IsType<RelayError>(await joiner.ReadMessageAsync());
        Assert.Equal(RelayErrorCodes.UnknownNameplate, error.Code);
        Assert.Contains("17", error.Message, StringComparison.Ordinal);
        Assert.Null(await joiner.ReadMessageOrEndAsync());
    }

    [Fact]
    public async Task A_nameplate_pairs_once()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, string nameplate) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        using TestClient late = await relay.ConnectAsync();
        await late.SendAsync(new RelayClaim(nameplate));

        Assert.Equal(RelayErrorCodes.UnknownNameplate, await late.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task Of_many_simultaneous_claims_exactly_one_pairs()
    {
        await using var relay = TestRelay.Start(o => o with { Exempt = [System.Net.IPNetwork.Parse("127.0.0.0/8")] });
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        TestClient[] joiners = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => relay.ConnectAsync()));
        try
        {
            await Task.WhenAll(joiners.Select(j => j.SendAsync(new RelayClaim(nameplate))));
            RelayMessage[] answers = await Task.WhenAll(joiners.Select(j => j.ReadMessageAsync()));

            Assert.Single(answers, a => a is RelayPaired);
            Assert.All(answers.Where(a => a is not RelayPaired), a => Assert.Equal(RelayErrorCodes.UnknownNameplate, Assert.IsType<RelayError>(a).Code));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        }
        finally
        {
            foreach (TestClient joiner in joiners)
            {
                joiner.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_expired_wait_answers_timeout_and_the_nameplate_is_then_unknown()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;

        time.Advance(TimeSpan.FromSeconds(600));

        Assert.Equal(RelayErrorCodes.Timeout, await waiter.ReadErrorCodeAsync());
        Assert.Equal("expired", (await relay.Events.WaitForAsync<WaiterEnded>()).Reason);
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await joiner.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task The_wait_timeout_option_sets_expires_in()
    {
        await using var relay = TestRelay.Start(o => o with { WaitTimeout = TimeSpan.FromSeconds(42) });
        using TestClient waiter = await relay.ConnectAsync();
        await waiter.SendAsync(new RelayAllocate());

        Assert.Equal(42, Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync()).ExpiresInSeconds);
    }

    [Fact]
    public async Task A_nameplate_that_stopped_waiting_is_not_handed_out_again_for_60_seconds()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient first, string one) = await relay.AllocateAsync();
        Assert.Equal("1", one);
        first.Dispose();
        Assert.Equal("left", (await relay.Events.WaitForAsync<WaiterEnded>(e => e.Nameplate == "1")).Reason);

        (TestClient second, string two) = await relay.AllocateAsync();
        using var s = second;
        Assert.Equal("2", two);

        time.Advance(TimeSpan.FromSeconds(59));
        (TestClient third, string three) = await relay.AllocateAsync();
        using var t = third;
        Assert.Equal("3", three);

        time.Advance(TimeSpan.FromSeconds(1));
        (TestClient fourth, string again) = await relay.AllocateAsync();
        using var f = fourth;
        Assert.Equal("1", again);
    }

    [Fact]
    public async Task A_paired_nameplate_is_quarantined_too()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        (TestClient waiter, TestClient joiner, string nameplate) = await relay.PairAsync();
        Assert.Equal("1", nameplate);
        waiter.Dispose();
        joiner.Dispose();
        await relay.Events.WaitForAsync<PairClosed>();

        (TestClient next, string second) = await relay.AllocateAsync();
        using var n = next;
        Assert.Equal("2", second);
    }

    [Fact]
    public async Task A_waiter_that_sends_before_paired_is_impatient_and_loses_its_nameplate()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        await waiter.SendRawAsync([0, 8, 1, 0x53, 0x43, 0x48, 0x41, 0x54, 2, 1]);

        Assert.Equal(RelayErrorCodes.Impatient, await waiter.ReadErrorCodeAsync());
        Assert.Null(await waiter.ReadMessageOrEndAsync());
        Assert.Equal("impatient", (await relay.Events.WaitForAsync<WaiterEnded>()).Reason);
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, await joiner.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task A_waiter_that_pipelines_bytes_after_allocate_is_impatient()
    {
        await using var relay = TestRelay.Start();
        using TestClient waiter = await relay.ConnectAsync();
        await waiter.SendRawAsync([.. RelayControl.Encode(new RelayAllocate()), 1, 2, 3]);

        Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync());
        Assert.Equal(RelayErrorCodes.Impatient, await waiter.ReadErrorCodeAsync());
    }
}
