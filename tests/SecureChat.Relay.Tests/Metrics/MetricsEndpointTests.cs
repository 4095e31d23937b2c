using System.Net;
using SecureChat.Relay.Tests.ScaleOut;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Metrics;

/// <summary><c>--metrics</c>: the Prometheus series, /healthz and /readyz, with no nameplate or address in any label.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_expose_the_series_without_addresses_or_nameplates_and_readyz_follows_redis()
    {
        using TestRedis redis = await TestRedis.StartAsync();
        var metricsEndPoint = new IPEndPoint(IPAddress.Loopback, TestRedis.FreePort());
        await using TestRelay a = RedisNode.Start(redis, metrics: metricsEndPoint);
        await using TestRelay b = RedisNode.Start(redis);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{metricsEndPoint}/"), Timeout = TestClient.Guard };

        (TestClient waiter, TestClient joiner, string nameplate) = await a.PairAsync();
        (TestClient other, string elsewhere) = await b.AllocateAsync();
        using (waiter)
        using (joiner)
        using (other)
        {
            using (TestClient redirected = await a.ConnectAsync())
            {
                await redirected.SendAsync(new RelayClaim(elsewhere));
                Assert.IsType<RelayRedirect>(await redirected.ReadMessageAsync());
            }

            using (TestClient unknown = await a.ConnectAsync())
            {
                await unknown.SendAsync(new RelayClaim("424242"));
                Assert.Equal(RelayErrorCodes.UnknownNameplate, await unknown.ReadErrorCodeAsync());
            }

            await joiner.SendRawAsync([1, 2, 3, 4, 5]);
            Assert.Equal(5, (await waiter.ReadExactlyAsync(5)).Length);
            waiter.ShutdownSend();
            joiner.ShutdownSend();
            await a.Events.WaitForAsync<PairClosed>();

            string text = await http.GetStringAsync("metrics");
            Assert.Contains("securechat_relay_waiting 0", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_pairs 0", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_redis_up 1", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_claims_total{result=\"paired\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_claims_total{result=\"redirect\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_claims_total{result=\"unknown-nameplate\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_refusals_total{code=\"unknown-nameplate\"} 1", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_forwarded_bytes_total{direction=\"to_waiter\"} 5", text, StringComparison.Ordinal);
            Assert.Contains("securechat_relay_claim_duration_seconds_count 3", text, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
            Assert.DoesNotContain("nameplate=", text, StringComparison.Ordinal);
            Assert.DoesNotContain($"\"{nameplate}\"", text, StringComparison.Ordinal);
            Assert.DoesNotContain("424242", text, StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
            redis.Stop();
            await Eventually.HoldsAsync(() => !a.Server.IsReady, "the node sees Redis gone");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("readyz")).StatusCode);
            Assert.Contains("securechat_relay_redis_up 0", await http.GetStringAsync("metrics"), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        }
    }

    [Fact]
    public async Task Readyz_fails_while_a_single_node_drains()
    {
        var metricsEndPoint = new IPEndPoint(IPAddress.Loopback, TestRedis.FreePort());
        await using TestRelay relay = TestRelay.Start(o => o with { MetricsEndPoint = metricsEndPoint });
        using var http = new HttpClient { BaseAddress = new Uri($"http://{metricsEndPoint}/"), Timeout = TestClient.Guard };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        Assert.DoesNotContain("redis_up", await http.GetStringAsync("metrics"), StringComparison.Ordinal);

        (TestClient waiter, _) = await relay.AllocateAsync();
        using (waiter)
        {
            Task stopping = relay.Server.StopAsync(TimeSpan.FromSeconds(20));
            await Eventually.HoldsAsync(() => !relay.Server.IsReady, "draining");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("readyz")).StatusCode);
            waiter.ShutdownSend();
            await stopping;
        }
    }
}
