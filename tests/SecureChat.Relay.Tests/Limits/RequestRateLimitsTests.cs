using System.Net;
using SecureChat.Relay.Limits;

namespace SecureChat.Relay.Tests.Limits;

/// <summary>The token buckets per address key (no clock involved: the replenishment periods are far longer than a test).</summary>
public sealed class RequestRateLimitsTests
{
    private static readonly RelayLimits Tight = new()
    {
        AllocationBurst = 1,
        AllocationsPerMinute = 1,
        ClaimBurst = 3,
        ClaimsPerMinute = 1,
        FailedClaimBurst = 1,
        FailedClaimInterval = TimeSpan.FromDays(1),
    };

    [Fact]
    public void Each_64_has_its_own_bucket_and_a_48_has_four_times_the_burst()
    {
        using var limits = new RequestRateLimits(Tight);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(limits.TryAllocate(AddressKeys.Of(IPAddress.Parse($"2001:db8:7:{i}::1"))));
        }

        // A fifth /64 of the same /48: its own bucket is full, the /48's is empty.
        Assert.False(limits.TryAllocate(AddressKeys.Of(IPAddress.Parse("2001:db8:7:99::1"))));
        Assert.True(limits.TryAllocate(AddressKeys.Of(IPAddress.Parse("2001:db8:8::1"))));
    }

    [Fact]
    public void An_ipv4_address_gets_its_burst_and_no_more()
    {
        using var limits = new RequestRateLimits(Tight);
        AddressKeys one = AddressKeys.Of(IPAddress.Parse("198.51.100.1"));
        Assert.True(limits.TryAllocate(one));
        Assert.False(limits.TryAllocate(one));
        Assert.True(limits.TryAllocate(AddressKeys.Of(IPAddress.Parse("198.51.100.2"))));
    }

    [Fact]
    public void With_no_failed_claim_left_every_claim_is_refused_and_none_is_spent()
    {
        using var limits = new RequestRateLimits(Tight);
        AddressKeys key = AddressKeys.Of(IPAddress.Parse("198.51.100.9"));
        Assert.True(limits.TryClaim(key));
        limits.RecordFailedClaim(key);

        Assert.False(limits.TryClaim(key));
        Assert.False(limits.TryClaim(key));

        // Another address is not affected, and still has its whole claim burst.
        AddressKeys other = AddressKeys.Of(IPAddress.Parse("198.51.100.10"));
        Assert.True(limits.TryClaim(other));
        Assert.True(limits.TryClaim(other));
        Assert.True(limits.TryClaim(other));
        Assert.False(limits.TryClaim(other));
    }
}
