using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;
using Xunit.Abstractions;

namespace SecureChat.Relay.Tests.Capacity;

/// <summary>
/// Issue 13's capacity check, scaled down (the full run, 9,000 waiters and 4,500 idle pairs, is
/// bench/relay-capacity.py): a real <c>securechat relay</c> process holds 300 waiting nameplates
/// and 150 idle pairs, and its resident memory may grow by at most 64 KiB for each (the targets
/// are 10 and 20 KiB; the bound is generous so that heap steps at this small size do not fail it).
/// A resource bound, not a timing: nothing here is timed.
/// </summary>
public sealed class IdleMemoryTests(ITestOutputHelper output)
{
    private const int Waiters = 300;
    private const int Pairs = 150;
    private const long BoundKiB = 64;

    [Fact]
    public async Task Waiters_and_idle_pairs_cost_the_relay_little_resident_memory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // VmRSS comes from /proc
        }

        using var relay = new RelayProcess();
        IPEndPoint endPoint = await relay.StartedAsync();

        // Warm-up: the same load once, closed, so the heap and the pools have grown to this size
        // before the baseline is read.
        List<TestClient> warmUp = await OpenAsync(endPoint, Waiters, Pairs);
        warmUp.ForEach(c => c.Dispose());
        await Eventually.HoldsAsync(() => relay.Count("waiter_ended") == Waiters && relay.Count("pair_closed") == Pairs, "the warm-up ended");
        long baseline = relay.RssKiB();

        List<TestClient> waiters = await OpenAsync(endPoint, Waiters, 0);
        long afterWaiters = relay.RssKiB();
        List<TestClient> pairs = await OpenAsync(endPoint, 0, Pairs);
        long afterPairs = relay.RssKiB();
        await Eventually.HoldsAsync(() => relay.Count("paired") == 2 * Pairs, "every pair was logged");

        double perWaiter = (afterWaiters - baseline) / (double)Waiters;
        double perPair = (afterPairs - afterWaiters) / (double)Pairs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relay RSS {baseline} KiB, +{Waiters} waiters {afterWaiters} KiB ({perWaiter:F1} KiB each), +{Pairs} idle pairs {afterPairs} KiB ({perPair:F1} KiB each)"));
        Assert.True(perWaiter <= BoundKiB, $"{perWaiter:F1} KiB per waiter");
        Assert.True(perPair <= BoundKiB, $"{perPair:F1} KiB per idle pair");

        waiters.ForEach(c => c.Dispose());
        pairs.ForEach(c => c.Dispose());
    }

    /// <summary>Opens <paramref name="waiters"/> waiters and <paramref name="pairs"/> pairs (both ends past "paired").</summary>
    private static async Task<List<TestClient>> OpenAsync(IPEndPoint endPoint, int waiters, int pairs)
    {
        var clients = new List<TestClient>();
        for (int i = 0; i < waiters + pairs; i++)
        {
            TestClient waiter = await TestClient.ConnectAsync(endPoint);
            clients.Add(waiter);
            await waiter.SendAsync(new RelayAllocate());
            string nameplate = Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync()).Nameplate;
            if (i < waiters)
            {
                continue;
            }

            TestClient joiner = await TestClient.ConnectAsync(endPoint);
            clients.Add(joiner);
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        }

        return clients;
    }
}
