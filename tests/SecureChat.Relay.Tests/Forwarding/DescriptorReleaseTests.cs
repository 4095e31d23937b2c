using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;
using Xunit.Abstractions;

namespace SecureChat.Relay.Tests.Forwarding;

/// <summary>
/// A real <c>securechat relay</c> process, its sockets and pipes counted through /proc/PID/fd: pairs that streamed and
/// went idle hold no pipe, and after many pairs — some ended by a receiver that resets the
/// connection in the middle of a stream, with bytes still in the relay's pipe — every descriptor is
/// closed again. A resource check, nothing is timed.
/// </summary>
public sealed class DescriptorReleaseTests(ITestOutputHelper output)
{
    private const int Batch = 16;

    [Fact]
    public async Task Streaming_pairs_release_their_pipes_when_idle_and_every_descriptor_when_they_end()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc and splice
        }

        using var relay = new RelayProcess();
        IPEndPoint endPoint = await relay.StartedAsync();

        // The listener's sockets and the runtime's own pipes (standard streams, its wake-ups),
        // and one pair that streams and closes, after which they must be back to that.
        (int Sockets, int Pipes) baseline = relay.Descriptors();
        string before = relay.DescribeDescriptors();
        List<TestClient> warmUp = await StreamAsync(endPoint, 1);
        warmUp.ForEach(c => c.Dispose());
        await Eventually.HoldsAsync(() => relay.Count("pair_closed") == 1, "the warm-up pair closed");
        await Eventually.HoldsAsync(() => relay.Descriptors() == baseline, $"the first pair's descriptors closed (before: {before})", () => $"now: {relay.DescribeDescriptors()}");

        // Pairs that streamed both ways and are now idle: their sockets, and no pipe.
        List<TestClient> idle = await StreamAsync(endPoint, Batch);
        await Eventually.HoldsAsync(() => relay.Descriptors() == (baseline.Sockets + (2 * Batch), baseline.Pipes), $"idle pairs hold their sockets and no pipe (before: {before})", () => $"now: {relay.DescribeDescriptors()}");

        // Hostile receivers: each joiner streams, each waiter reads a little and resets.
        int resets = 0;
        for (int round = 0; round < 3; round++)
        {
            resets += await ResetMidStreamAsync(endPoint, Batch);
        }

        idle.ForEach(c => c.Dispose());
        int pairs = 1 + Batch + (3 * Batch);
        await Eventually.HoldsAsync(() => relay.Count("pair_closed") == pairs, $"every pair closed ({pairs}; {relay.Count("pair_closed")} closed, {relay.Count("paired")} paired events)");
        await Eventually.HoldsAsync(() => relay.Descriptors() == baseline, $"every descriptor closed (before: {before})", () => $"now: {relay.DescribeDescriptors()}");
        output.WriteLine($"{pairs} pairs, {resets} ended by a reset mid-stream; relay sockets {baseline.Sockets} and pipes {baseline.Pipes} before and after");
    }

    /// <summary>Opens <paramref name="count"/> pairs, streams 2 MiB each way through each, and leaves them open and idle.</summary>
    private static async Task<List<TestClient>> StreamAsync(IPEndPoint endPoint, int count)
    {
        var clients = new List<TestClient>();
        var transfers = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            (TestClient waiter, TestClient joiner) = await PairAsync(endPoint);
            clients.Add(waiter);
            clients.Add(joiner);
            transfers.Add(EchoCheckAsync(joiner, waiter));
            transfers.Add(EchoCheckAsync(waiter, joiner));
        }

        await Task.WhenAll(transfers);
        return clients;
    }

    private static async Task EchoCheckAsync(TestClient from, TestClient to)
    {
        byte[] data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        Task sending = from.SendRawAsync(data);
        Assert.Equal(data, await to.ReadExactlyAsync(data.Length));
        await sending;
    }

    /// <summary><paramref name="count"/> pairs whose joiner streams 64 MiB while its waiter reads 1 MiB and resets; the resets that hit a stream still going.</summary>
    private static async Task<int> ResetMidStreamAsync(IPEndPoint endPoint, int count)
    {
        var runs = new List<Task<bool>>();
        for (int i = 0; i < count; i++)
        {
            (TestClient waiter, TestClient joiner) = await PairAsync(endPoint);
            runs.Add(RunAsync(waiter, joiner));
        }

        bool[] cut = await Task.WhenAll(runs);
        return cut.Count(c => c);

        static async Task<bool> RunAsync(TestClient waiter, TestClient joiner)
        {
            using (waiter)
            using (joiner)
            {
                Task<bool> sending = SendUntilCutAsync(joiner, 64 * 1024 * 1024);
                await waiter.ReadExactlyAsync(1024 * 1024);
                waiter.Socket.LingerState = new LingerOption(true, 0);
                waiter.Socket.Close();
                return await sending;
            }
        }
    }

    /// <summary>Sends zeros until done (false) or the connection is cut (true).</summary>
    private static async Task<bool> SendUntilCutAsync(TestClient client, int total)
    {
        byte[] chunk = new byte[256 * 1024];
        try
        {
            for (int sent = 0; sent < total; sent += chunk.Length)
            {
                await client.SendRawAsync(chunk);
            }

            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task<(TestClient Waiter, TestClient Joiner)> PairAsync(IPEndPoint endPoint)
    {
        TestClient waiter = await TestClient.ConnectAsync(endPoint);
        await waiter.SendAsync(new RelayAllocate());
        string nameplate = Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync()).Nameplate;
        TestClient joiner = await TestClient.ConnectAsync(endPoint);
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
        return (waiter, joiner);
    }
}
