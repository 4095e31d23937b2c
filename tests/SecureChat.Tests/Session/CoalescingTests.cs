using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>Sessions whose frames are coalesced into shared writes, and sessions at rest.</summary>
public class CoalescingTests
{
    [Fact]
    public async Task Concurrent_senders_lose_nothing_and_each_senders_messages_arrive_in_order()
    {
        const int senders = 8;
        const int each = 400;
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            using var start = new SemaphoreSlim(0);
            Task[] sending = [.. Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
            {
                await start.WaitAsync();
                for (int i = 0; i < each; i++)
                {
                    await client.SendTextAsync($"{s}:{i}:{new string((char)('a' + s), i % 50)}");
                }
            }))];
            start.Release(senders);

            int[] next = new int[senders];
            for (int n = 0; n < senders * each; n++)
            {
                string[] parts = (await server.NextAsync<TextReceived>()).Text.Split(':');
                int s = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                int i = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(next[s], i);
                Assert.Equal(new string((char)('a' + s), i % 50), parts[2]);
                next[s]++;
            }

            await Task.WhenAll(sending).WaitAsync(Loopback.Timeout);
            Assert.All(next, count => Assert.Equal(each, count));

            // And the conversation goes on in the other direction and back.
            await server.SendTextAsync("still here");
            Assert.Equal("still here", (await client.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task An_idle_session_holds_no_receive_or_send_buffer()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            await client.SendTextAsync(new string('x', 20_000));
            Assert.Equal(20_000, (await server.NextAsync<TextReceived>()).Text.Length);
            await server.SendTextAsync("back");
            Assert.Equal("back", (await client.NextAsync<TextReceived>()).Text);

            // Both loops go back to waiting without buffers; wait for that state, do not time it.
            Assert.True(SpinWait.SpinUntil(() => !client.HoldsIoBuffers && !server.HoldsIoBuffers, Loopback.Timeout), "an idle session still holds a buffer");
        }
    }
}
