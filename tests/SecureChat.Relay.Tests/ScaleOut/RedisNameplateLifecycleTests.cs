using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;
using StackExchange.Redis;

namespace SecureChat.Relay.Tests.ScaleOut;

/// <summary>A nameplate's key on Redis: quarantined as <c>used</c>, swept from the bitmap and reused; lost to another value; released on a stop.</summary>
public sealed class RedisNameplateLifecycleTests
{
    [Fact]
    public async Task A_left_nameplate_is_quarantined_then_swept_and_handed_out_again()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis, quarantine: TimeSpan.FromSeconds(2));
        using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        IDatabase db = inspect.GetDatabase();

        (TestClient first, string n1) = await a.AllocateAsync();
        first.Dispose();
        await a.Events.WaitForAsync<WaiterEnded>();
        (TestClient second, string n2) = await a.AllocateAsync();
        using (second)
        {
            Assert.Equal(["1", "2"], [n1, n2]);
            await Eventually.HoldsAsync(() => !db.StringGetBit("sc:np:small", 1), "the sweep clears the expired nameplate's bit");
            (TestClient third, string n3) = await a.AllocateAsync();
            using (third)
            {
                Assert.Equal("1", n3);
            }
        }
    }

    [Fact]
    public async Task A_waiter_whose_key_another_value_took_is_lost_and_told_timeout()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis);
        using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            await inspect.GetDatabase().StringSetAsync("sc:np:" + nameplate, "othernode|10.9.9.9:4747|1");
            Assert.Equal(RelayErrorCodes.Timeout, await waiter.ReadErrorCodeAsync());
            Assert.Equal("lost", (await a.Events.WaitForAsync<WaiterEnded>()).Reason);
            Assert.Equal(0, a.Server.Waiting);
        }
    }

    [Fact]
    public async Task A_node_holding_the_waiter_pairs_its_claim_whatever_the_key_says()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        await using TestRelay a = RedisNode.Start(redis, lease: TimeSpan.FromHours(2), refresh: TimeSpan.FromHours(1));
        using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            await inspect.GetDatabase().StringSetAsync("sc:np:" + nameplate, "othernode|10.9.9.9:4747|1");
            using TestClient joiner = await a.ConnectAsync();
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        }
    }

    [Fact]
    public async Task A_stopping_node_turns_the_keys_of_its_waiters_into_used()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        TestRelay a = RedisNode.Start(redis);
        using ConnectionMultiplexer inspect = await ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        (TestClient waiter, string nameplate) = await a.AllocateAsync();
        using (waiter)
        {
            await a.Server.StopAsync(TimeSpan.Zero);
            await a.DisposeAsync();
            Assert.Equal("used", (string?)await inspect.GetDatabase().StringGetAsync("sc:np:" + nameplate));
        }
    }
}
