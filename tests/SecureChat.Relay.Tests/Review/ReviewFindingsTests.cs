using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Nameplates;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Review;

/// <summary>Findings of the review of the relay, kept as regression tests (each failed before its fix).</summary>
public sealed class ReviewFindingsTests
{
    [Fact]
    public async Task After_the_failed_claim_burst_the_next_claim_is_refused_even_after_the_limiter_ticks()
    {
        using var limits = new RequestRateLimits(new RelayLimits());
        AddressKeys key = AddressKeys.Of(IPAddress.Parse("198.51.100.9"));
        for (int i = 0; i < 5; i++)
        {
            Assert.True(limits.TryClaim(key));
            limits.RecordFailedClaim(key);
        }

        Assert.False(limits.TryClaim(key));
        await Task.Delay(500); // the limiter's timer adds fractions of a token meanwhile
        Assert.False(limits.TryClaim(key));
    }

    [Fact]
    public async Task After_five_unknown_claims_every_claim_from_that_address_is_rate_limited()
    {
        await using var relay = TestRelay.Start();
        var codes = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            using TestClient client = await relay.ConnectAsync();
            await client.SendAsync(new RelayClaim("999999"));
            codes.Add(await client.ReadErrorCodeAsync());
            await Task.Delay(150);
        }

        Assert.Equal(5, codes.Count(c => c == RelayErrorCodes.UnknownNameplate));
        Assert.Equal(7, codes.Count(c => c == RelayErrorCodes.RateLimited));
    }

    [Fact]
    public async Task One_address_cannot_hold_every_socket_slot_with_refused_connections()
    {
        var time = new FakeTimeProvider(); // the 2 s discard never ends: an attacker reconnecting faster than it
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time }, openFileLimit: 128 + 60);
        var attacker = new List<TestClient>();
        try
        {
            for (int i = 0; i < 60; i++)
            {
                attacker.Add(await relay.ConnectAsync());
            }

            await Eventually.HoldsAsync(() => relay.Server.AwaitingFirstFrame == 20, "20 connections awaiting a first frame");
            await Task.Delay(300);
            using var victim = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            victim.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            await victim.ConnectAsync(relay.EndPoint);
            await victim.SendAsync(RelayControl.Encode(new RelayAllocate()), SocketFlags.None);
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int got = 0;
            try
            {
                got = await victim.ReceiveAsync(new byte[2], SocketFlags.None, guard.Token);
            }
            catch (OperationCanceledException)
            {
            }

            Assert.True(got > 0, $"another address got no answer: {relay.Server.Connections} sockets held");
        }
        finally
        {
            foreach (TestClient client in attacker)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_claim_that_loses_the_race_with_its_waiter_gives_its_pair_leases_back()
    {
        var registry = new RacingRegistry(new InMemoryNameplateRegistry(TimeProvider.System, TimeSpan.FromSeconds(60)));
        await using var relay = TestRelay.Start(o => o with { Exempt = [IPNetwork.Parse("127.0.0.0/8")] }, registry);
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using (waiter)
        {
            using TestClient joiner = await relay.ConnectAsync();
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.Equal(RelayErrorCodes.UnknownNameplate, await joiner.ReadErrorCodeAsync());
        }

        await Eventually.HoldsAsync(() => relay.Server.Pairs == 0, "no pair slot held");
    }

    /// <summary>Ends the waiter right after the admission took its leases: the race a quitting waiter or its expiry can cause.</summary>
    private sealed class RacingRegistry(InMemoryNameplateRegistry inner) : INameplateRegistry
    {
        public int Waiting => inner.Waiting;

        public ValueTask<int?> AllocateAsync(Waiter waiter, CancellationToken cancellationToken = default) => inner.AllocateAsync(waiter, cancellationToken);

        public ValueTask<ClaimOutcome> ClaimAsync(int nameplate, Func<Waiter, bool> admit, CancellationToken cancellationToken = default) =>
            inner.ClaimAsync(nameplate, w =>
            {
                bool ok = admit(w);
                w.TryEnd("left");
                return ok;
            }, cancellationToken);

        public ValueTask ReleaseAsync(Waiter waiter) => inner.ReleaseAsync(waiter);

        public void Dispose() => inner.Dispose();
    }
}
