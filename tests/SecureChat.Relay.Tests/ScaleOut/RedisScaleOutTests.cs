using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;
using StackExchange.Redis;

namespace SecureChat.Relay.Tests.ScaleOut;

/// <summary>
/// Several relay nodes on one real Redis (docs/RELAY.md, "Several relay nodes"): redirects, used
/// nameplates, lease expiry after a node dies, Redis going away and coming back, a restarted node.
/// </summary>
public sealed class RedisScaleOutTests
{
    [Fact]
    public async Task A_claim_on_another_node_is_redirected_to_the_waiters_node_and_pairs_there()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        await using TestRelay b = RedisNode.Start(redis);

        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            Assert.Equal("1", nameplate);
            using TestClient first = await b.ConnectAsync();
            await first.SendAsync(new RelayClaim(nameplate));
            Assert.Equal(RedisNode.Advertise(a), Assert.IsType<RelayRedirect>(await first.ReadMessageAsync()).Address);

            using TestClient joiner = await a.ConnectAsync();
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
            await joiner.SendRawAsync([7, 8, 9]);
            Assert.Equal([7, 8, 9], await waiter.ReadExactlyAsync(3));

            // Used now: unknown on both nodes, not a redirect.
            foreach (TestRelay node in (TestRelay[])[a, b])
            {
                using TestClient late = await node.ConnectAsync();
                await late.SendAsync(new RelayClaim(nameplate));
                Assert.Equal(RelayErrorCodes.UnknownNameplate, await late.ReadErrorCodeAsync());
            }

            using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
            Assert.Equal("used", (string?)await inspect.GetDatabase().StringGetAsync("sc:np:" + nameplate));
        }
    }

    /// <summary>Node b is full, by its global pair cap or by the per-address pair limit (loopback not exempt).</summary>
    public static TheoryData<string> FullBy => ["max-pairs", "pairs-per-address"];

    [Theory]
    [MemberData(nameof(FullBy))]
    public async Task A_node_at_its_pair_cap_redirects_a_claim_for_another_nodes_waiter_and_is_busy_only_for_its_own(string fullBy)
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        await using TestRelay b = RedisNode.Start(redis, configure: o => fullBy == "max-pairs"
            ? o with { MaxPairs = 1 }
            : o with { Exempt = [], Limits = o.Limits with { PairsPerAddress = 1 } });
        (TestClient pairedWaiter, TestClient pairedJoiner, _) = await b.PairAsync();
        (TestClient onA, string nameplateOnA) = await a.AllocateAsync();
        (TestClient onB, string nameplateOnB) = await b.AllocateAsync();
        using (onA)
        using (onB)
        {
            // A redirect makes no pair on b: b's pair cap does not stop it.
            Assert.Equal(RedisNode.Advertise(a), Assert.IsType<RelayRedirect>(await ClaimAsync(b, nameplateOnA)).Address);
            using (TestClient joiner = await a.ConnectAsync())
            {
                await joiner.SendAsync(new RelayClaim(nameplateOnA));
                Assert.IsType<RelayPaired>(await onA.ReadMessageAsync());
                Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
            }

            // A claim that would pair on b is busy, and b's nameplate is not consumed: still b's lease.
            Assert.Equal(RelayErrorCodes.Busy, Assert.IsType<RelayError>(await ClaimAsync(b, nameplateOnB)).Code);
            using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
            string? held = await inspect.GetDatabase().StringGetAsync("sc:np:" + nameplateOnB);
            Assert.StartsWith(RedisNode.Registry(b).NodeId + "|", held, StringComparison.Ordinal);
            Assert.Equal(RedisNode.Advertise(b), Assert.IsType<RelayRedirect>(await ClaimAsync(a, nameplateOnB)).Address);

            // Once b has room again, the same nameplate pairs there.
            pairedWaiter.Dispose();
            pairedJoiner.Dispose();
            await b.Events.WaitForAsync<PairClosed>();
            using TestClient late = await b.ConnectAsync();
            await late.SendAsync(new RelayClaim(nameplateOnB));
            Assert.IsType<RelayPaired>(await onB.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await late.ReadMessageAsync());
        }
    }

    [Fact]
    public async Task Small_nameplates_are_shared_between_nodes_through_the_bitmap()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        await using TestRelay b = RedisNode.Start(redis);

        (TestClient w1, string n1) = await a.AllocateAsync();
        (TestClient w2, string n2) = await b.AllocateAsync();
        (TestClient w3, string n3) = await a.AllocateAsync();
        using (w1)
        using (w2)
        using (w3)
        {
            Assert.Equal(["1", "2", "3"], [n1, n2, n3]);
        }
    }

    [Fact]
    public async Task The_lease_of_a_node_that_died_expires_and_its_nameplate_is_then_unknown()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis, lease: TimeSpan.FromSeconds(1.5));
        await using TestRelay b = RedisNode.Start(redis, lease: TimeSpan.FromSeconds(1.5));
        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            // Refreshed past its first lease: still a redirect.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.IsType<RelayRedirect>(await ClaimAsync(b, nameplate));

            RedisNode.Registry(a).Crash();
            using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
            await Eventually.HoldsAsync(() => !inspect.GetDatabase().KeyExists("sc:np:" + nameplate), "the dead node's lease expires");
            Assert.Equal(RelayErrorCodes.UnknownNameplate, Assert.IsType<RelayError>(await ClaimAsync(b, nameplate)).Code);
        }
    }

    [Fact]
    public async Task With_redis_down_allocations_and_lookups_are_busy_readyz_fails_and_pairs_and_own_waiters_go_on()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        (TestClient pairedWaiter, TestClient pairedJoiner, _) = await a.PairAsync();
        (TestClient ownWaiter, string own) = await a.AllocateAsync();
        using (pairedWaiter)
        using (pairedJoiner)
        using (ownWaiter)
        {
            Assert.True(a.Server.IsReady);
            redis.Stop();
            await Eventually.HoldsAsync(() => !a.Server.IsReady, "readyz fails without Redis");

            using (TestClient allocator = await a.ConnectAsync())
            {
                await allocator.SendAsync(new RelayAllocate());
                Assert.Equal(RelayErrorCodes.Busy, await allocator.ReadErrorCodeAsync());
            }

            Assert.Equal(RelayErrorCodes.Busy, Assert.IsType<RelayError>(await ClaimAsync(a, "123456")).Code);

            await pairedJoiner.SendRawAsync([1, 2, 3]);
            Assert.Equal([1, 2, 3], await pairedWaiter.ReadExactlyAsync(3));
            await pairedWaiter.SendRawAsync([4]);
            Assert.Equal([4], await pairedJoiner.ReadExactlyAsync(1));

            // A waiter held here needs no lookup: its claim pairs.
            using TestClient joiner = await a.ConnectAsync();
            await joiner.SendAsync(new RelayClaim(own));
            Assert.IsType<RelayPaired>(await ownWaiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        }
    }

    [Fact]
    public async Task After_a_redis_restart_the_lease_script_recreates_the_keys_and_the_node_keeps_its_waiters()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        await using TestRelay b = RedisNode.Start(redis);
        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            redis.Stop();
            await Eventually.HoldsAsync(() => !a.Server.IsReady, "the node sees Redis gone");
            await redis.StartAgainAsync();
            await Eventually.HoldsAsync(() => a.Server.IsReady && b.Server.IsReady, "both nodes reconnect");
            Assert.False((await a.Events.WaitForAsync<RedisConnectionChanged>(e => !e.Up)).Up);
            Assert.True((await a.Events.WaitForAsync<RedisConnectionChanged>(e => e.Up)).Up);

            using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
            IDatabase db = inspect.GetDatabase();
            await Eventually.HoldsAsync(() => db.KeyExists("sc:np:" + nameplate), "the refresh re-creates the lease");
            Assert.True(db.StringGetBit("sc:np:small", long.Parse(nameplate, System.Globalization.CultureInfo.InvariantCulture)));

            Assert.Equal(RedisNode.Advertise(a), Assert.IsType<RelayRedirect>(await ClaimAsync(b, nameplate)).Address);
            using TestClient joiner = await a.ConnectAsync();
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        }
    }

    [Fact]
    public async Task A_restarted_node_at_the_same_address_treats_its_predecessors_keys_as_stale()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        int port = TestRedis.FreePort();
        TestRelay old = RedisNode.Start(redis, port);
        (TestClient waiter, string nameplate) = await old.AllocateAsync();
        RedisNode.Registry(old).Crash();
        waiter.Dispose();
        await old.DisposeAsync();

        using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        Assert.True(inspect.GetDatabase().KeyExists("sc:np:" + nameplate));

        await using TestRelay restarted = RedisNode.Start(redis, port);
        await using TestRelay other = RedisNode.Start(redis);
        Assert.NotEqual(RedisNode.Registry(old).NodeId, RedisNode.Registry(restarted).NodeId);
        Assert.Equal(RelayErrorCodes.UnknownNameplate, Assert.IsType<RelayError>(await ClaimAsync(restarted, nameplate)).Code);
        Assert.False(inspect.GetDatabase().KeyExists("sc:np:" + nameplate));
        Assert.Equal(RelayErrorCodes.UnknownNameplate, Assert.IsType<RelayError>(await ClaimAsync(other, nameplate)).Code);
    }

    private static async Task<RelayMessage> ClaimAsync(TestRelay relay, string nameplate)
    {
        using TestClient client = await relay.ConnectAsync();
        await client.SendAsync(new RelayClaim(nameplate));
        return await client.ReadMessageAsync();
    }
}
