using System.Net;
using System.Net.Sockets;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Limits;

/// <summary>Everything a connection takes is given back: sockets, waiting and pair counts, buffers, per-address counts.</summary>
public sealed class ReleaseTests
{
    [Fact]
    public async Task After_many_waiters_pairs_and_refusals_end_every_count_is_back_to_zero()
    {
        await using var relay = TestRelay.Start(o => o with { Exempt = [IPNetwork.Parse("127.0.0.0/8")] });
        var clients = new List<TestClient>();
        for (int i = 0; i < 60; i++)
        {
            clients.Add((await relay.AllocateAsync()).Waiter);
        }

        for (int i = 0; i < 30; i++)
        {
            (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
            await joiner.SendRawAsync(new byte[100_000]);
            await waiter.ReadExactlyAsync(100_000);
            clients.Add(waiter);
            clients.Add(joiner);
        }

        for (int i = 0; i < 20; i++)
        {
            TestClient bad = await relay.ConnectAsync();
            await bad.SendRawAsync([0, 0]);
            clients.Add(bad);
        }

        Assert.Equal(60, relay.Server.Waiting);
        Assert.Equal(30, relay.Server.Pairs);
        foreach (TestClient client in clients)
        {
            client.Dispose();
        }

        await Eventually.HoldsAsync(
            () => relay.Server.Waiting == 0 && relay.Server.Pairs == 0 && relay.Server.Connections == 0 && relay.Server.AwaitingFirstFrame == 0
                && relay.Server.Context.Waiting.Total == 0 && relay.Server.Context.Budget.InUse == 0,
            "every connection, nameplate, pair and buffer released");
    }

    [Fact]
    public async Task A_dual_stack_listener_counts_ipv4_clients_by_their_ipv4_address()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        await using var relay = TestRelay.Start(o => o with
        {
            EndPoint = new IPEndPoint(IPAddress.IPv6Any, 0),
            Exempt = [IPNetwork.Parse("127.0.0.0/8")],
            Limits = o.Limits with { AllocationBurst = 1, AllocationsPerMinute = 1, WaitingPerAddress = 1 },
        });

        // Clients arrive as ::ffff:127.0.0.1 and are still in 127.0.0.0/8.
        var waiters = new List<TestClient>();
        for (int i = 0; i < 3; i++)
        {
            waiters.Add((await relay.AllocateAsync()).Waiter);
        }

        Assert.Equal(3, relay.Server.Waiting);
        foreach (TestClient waiter in waiters)
        {
            waiter.Dispose();
        }
    }

    [Fact]
    public async Task The_socket_cap_follows_the_open_file_limit()
    {
        await using var relay = TestRelay.Start(o => o with { MaxWaiting = 10_000, MaxPairs = 10_000 }, openFileLimit: 1_128);
        RelayStarted started = await relay.Events.WaitForAsync<RelayStarted>();

        // 1,128 less 128 kept back for the process, less (Linux) an eighth of the rest for pipes.
        int cap = OperatingSystem.IsLinux() ? 876 : 1_000;
        Assert.Equal((cap, cap, cap / 2), (started.ConnectionCap, started.MaxWaiting, started.MaxPairs));
        using TestClient waiter = await relay.ConnectAsync();
        await waiter.SendAsync(new RelayAllocate());
        Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync());
    }

    [Fact]
    public async Task Past_the_socket_cap_a_connection_waits_in_the_backlog_until_a_socket_closes()
    {
        // open-file limit 144 less the 128 reserved: 16 sockets.
        await using var relay = TestRelay.Start(o => o with { Exempt = [IPNetwork.Parse("127.0.0.0/8")] }, openFileLimit: 144);
        var waiters = new List<TestClient>();
        for (int i = 0; i < 16; i++)
        {
            waiters.Add((await relay.AllocateAsync()).Waiter);
        }

        using TestClient seventeenth = await relay.ConnectAsync();
        await seventeenth.SendAsync(new RelayAllocate());
        waiters[0].Dispose();

        Assert.IsType<RelayAllocated>(await seventeenth.ReadMessageAsync());
        Assert.InRange(relay.Server.Connections, 1, 16);
        foreach (TestClient waiter in waiters)
        {
            waiter.Dispose();
        }
    }
}
