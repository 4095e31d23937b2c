using System.Text;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Pairing;

/// <summary>Allocate, claim and "paired" over real loopback sockets (docs/RELAY.md §1).</summary>
public sealed class PairingTests
{
    [Fact]
    public async Task Allocate_answers_the_first_nameplate_and_the_wait_time()
    {
        await using var relay = TestRelay.Start();
        using TestClient waiter = await relay.ConnectAsync();
        await waiter.SendAsync(new RelayAllocate());

        Assert.Equal(new RelayAllocated("1", 600), await waiter.ReadMessageAsync());
    }

    [Fact]
    public async Task The_waiter_gets_paired_before_any_byte_of_the_joiner()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        using TestClient joiner = await relay.ConnectAsync();
        byte[] hello = Encoding.ASCII.GetBytes("joiner's HELLO, in the same segment as the claim");

        // The claim and the joiner's first bytes in one write: the relay must not forward them first.
        await joiner.SendRawAsync([.. RelayControl.Encode(new RelayClaim(nameplate)), .. hello]);

        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        Assert.Equal(hello, await waiter.ReadExactlyAsync(hello.Length));
        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
    }

    [Fact]
    public async Task The_joiner_gets_paired_before_any_byte_of_the_waiter()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        byte[] answer = Encoding.ASCII.GetBytes("waiter answers at once");
        await waiter.SendRawAsync(answer);

        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        Assert.Equal(answer, await joiner.ReadExactlyAsync(answer.Length));
    }

    [Fact]
    public async Task Allocated_and_paired_are_the_bytes_docs_relay_md_shows()
    {
        await using var relay = TestRelay.Start();
        using TestClient waiter = await relay.ConnectAsync();
        await waiter.SendRawAsync(Convert.FromHexString("0012107b226f70223a22616c6c6f63617465227d"));
        Assert.Equal("{\"status\":\"allocated\",\"nameplate\":\"1\",\"expires_in\":600}", Encoding.UTF8.GetString((await waiter.ReadExactlyAsync(2 + 1 + 55)).AsSpan(3)));
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim("1"));

        Assert.Equal("0014107b22737461747573223a22706169726564227d", Convert.ToHexStringLower(await waiter.ReadExactlyAsync(22)));
    }

    [Fact]
    public async Task After_paired_the_relay_sends_nothing_of_its_own()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        await joiner.SendRawAsync([1, 2, 3]);
        Assert.Equal([1, 2, 3], await waiter.ReadExactlyAsync(3));
        waiter.ShutdownSend();
        joiner.ShutdownSend();

        Assert.Empty((await waiter.ReadToEndAsync()).Bytes);
        Assert.Empty((await joiner.ReadToEndAsync()).Bytes);
    }

    [Fact]
    public async Task Events_carry_nameplates_and_byte_counts_but_no_addresses_by_default()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, TestClient joiner, string nameplate) = await relay.PairAsync();
        using (TestClient w = waiter)
        using (TestClient j = joiner)
        {
            await joiner.SendRawAsync(new byte[10]);
            await waiter.ReadExactlyAsync(10);
            joiner.ShutdownSend();
            waiter.ShutdownSend();
            await joiner.ReadToEndAsync();
        }

        PairClosed closed = await relay.Events.WaitForAsync<PairClosed>();
        Assert.Equal((nameplate, 10L, 0L, "closed"), (closed.Nameplate, closed.BytesToWaiter, closed.BytesToJoiner, closed.Reason));
        Assert.Null((await relay.Events.WaitForAsync<NameplateAllocated>()).Address);
        NameplatePaired paired = await relay.Events.WaitForAsync<NameplatePaired>();
        Assert.Null(paired.WaiterAddress);
        Assert.Null(paired.JoinerAddress);
    }

    [Fact]
    public async Task Addresses_appear_only_with_log_addresses()
    {
        await using var relay = TestRelay.Start(o => o with { LogAddresses = true });
        (TestClient waiter, _) = await relay.AllocateAsync();
        using var w = waiter;

        Assert.Equal(System.Net.IPAddress.Loopback, (await relay.Events.WaitForAsync<NameplateAllocated>()).Address);
    }

    [Fact]
    public async Task A_claim_sent_one_byte_at_a_time_pairs_as_well()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var _ = waiter;
        using TestClient joiner = await relay.ConnectAsync();
        foreach (byte b in RelayControl.Encode(new RelayClaim(nameplate)))
        {
            await joiner.SendRawAsync([b]);
        }

        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
    }
}
