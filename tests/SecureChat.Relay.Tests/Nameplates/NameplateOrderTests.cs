using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Nameplates;

namespace SecureChat.Relay.Tests.Nameplates;

/// <summary>The order nameplates are handed out in: 1–99, then 100–999, then random up to 999,999.</summary>
public sealed class NameplateOrderTests
{
    [Fact]
    public async Task Nameplates_go_1_to_99_then_100_to_999_then_random_six_digits()
    {
        using var registry = new InMemoryNameplateRegistry(new FakeTimeProvider(), TimeSpan.FromSeconds(60));
        var handed = new List<int>();
        for (int i = 0; i < 1_005; i++)
        {
            handed.Add((await registry.AllocateAsync(NewWaiter())).GetValueOrDefault());
        }

        Assert.Equal(Enumerable.Range(1, 999), handed.Take(999));
        Assert.All(handed.Skip(999), n => Assert.InRange(n, 1_000, 999_999));
        Assert.Equal(handed.Count, handed.Distinct().Count());
        Assert.Equal(1_005, registry.Waiting);
    }

    [Fact]
    public async Task The_smallest_free_nameplate_comes_first()
    {
        var time = new FakeTimeProvider();
        using var registry = new InMemoryNameplateRegistry(time, TimeSpan.FromSeconds(60));
        Waiter[] waiters = [NewWaiter(), NewWaiter(), NewWaiter()];
        foreach (Waiter waiter in waiters)
        {
            await registry.AllocateAsync(waiter);
        }

        await registry.ReleaseAsync(waiters[0]);
        Assert.Equal(4, await registry.AllocateAsync(NewWaiter()));
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await registry.AllocateAsync(NewWaiter()));
    }

    [Fact]
    public void Beyond_999_the_pick_is_random_within_six_digits_and_gives_up_when_full()
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < 200; i++)
        {
            int n = NameplateOrder.Next(n => n >= 1_000)!.Value;
            Assert.InRange(n, 1_000, NameplateOrder.Max);
            seen.Add(n);
        }

        Assert.True(seen.Count > 150, "random picks rarely repeat");
        Assert.Null(NameplateOrder.Next(_ => false));
    }

    [Fact]
    public async Task A_claim_refused_by_admission_consumes_nothing()
    {
        using var registry = new InMemoryNameplateRegistry(new FakeTimeProvider(), TimeSpan.FromSeconds(60));
        Waiter waiter = NewWaiter();
        int nameplate = (await registry.AllocateAsync(waiter)).GetValueOrDefault();
        Assert.Equal(ClaimResult.Unknown, (await registry.ClaimAsync(nameplate, _ => true)).Result);
        Assert.True(waiter.TryOpen());

        Assert.Equal(ClaimResult.Busy, (await registry.ClaimAsync(nameplate, _ => false)).Result);
        ClaimOutcome outcome = await registry.ClaimAsync(nameplate, _ => true);
        Assert.Equal(ClaimResult.Paired, outcome.Result);
        Assert.Same(waiter, outcome.Waiter);
        Assert.Equal(ClaimResult.Unknown, (await registry.ClaimAsync(nameplate, _ => true)).Result);
    }

    private static Waiter NewWaiter() =>
        new(new ClientConnection(null!, new ClientAddress(AddressKeys.Of(System.Net.IPAddress.Loopback), false, null), _ => { }));
}
