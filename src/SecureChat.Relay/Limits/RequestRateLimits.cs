using System.Threading.RateLimiting;

namespace SecureChat.Relay.Limits;

/// <summary>
/// The per-address request rates (docs/RELAY.md, "Limits"): allocations and claims (token buckets:
/// a burst, then so many per minute), and failed claims (a burst, then one per interval; with none
/// left every claim is refused). Partitioned limiters from System.Threading.RateLimiting with
/// AutoReplenishment off: each partitioned limiter replenishes all its partitions from its one
/// internal timer and drops idle, full partitions, so no timer exists per address. Exempt clients
/// are never asked about.
/// </summary>
internal sealed class RequestRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<AddressKey> _allocations;
    private readonly PartitionedRateLimiter<AddressKey> _claims;
    private readonly PartitionedRateLimiter<AddressKey> _failedClaims;

    public RequestRateLimits(RelayLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        TimeSpan perMinute(int count) => TimeSpan.FromTicks(TimeSpan.TicksPerMinute / count);
        _allocations = Create(limits.AllocationBurst, perMinute(limits.AllocationsPerMinute), limits.WidePrefixFactor);
        _claims = Create(limits.ClaimBurst, perMinute(limits.ClaimsPerMinute), limits.WidePrefixFactor);
        _failedClaims = Create(limits.FailedClaimBurst, limits.FailedClaimInterval, limits.WidePrefixFactor);
    }

    /// <summary>Takes one allocation from the address's budget, or returns false.</summary>
    public bool TryAllocate(AddressKeys keys) => TryTake(_allocations, keys, 1);

    /// <summary>
    /// Takes one claim, or returns false: when the address has no failed claim left, or no claim
    /// left. A redirect counts as a claim.
    /// </summary>
    public bool TryClaim(AddressKeys keys) => HasWholePermit(_failedClaims, keys) && TryTake(_claims, keys, 1);

    /// <summary>Spends one failed claim of the address (its claim found nobody waiting).</summary>
    public void RecordFailedClaim(AddressKeys keys) => TryTake(_failedClaims, keys, 1);

    /// <summary>
    /// True when the address (and its /48) still has a whole failed-claim permit. Not
    /// AttemptAcquire(key, 0): that succeeds on any fraction of a token, and the limiter's timer adds
    /// fractions every tick, which let claims through at the full claim rate after the burst.
    /// </summary>
    private static bool HasWholePermit(PartitionedRateLimiter<AddressKey> limiter, AddressKeys keys) =>
        (keys.Wide is not { } wide || (limiter.GetStatistics(wide)?.CurrentAvailablePermits ?? 1) >= 1)
        && (limiter.GetStatistics(keys.Narrow)?.CurrentAvailablePermits ?? 1) >= 1;

    private static bool TryTake(PartitionedRateLimiter<AddressKey> limiter, AddressKeys keys, int permits)
    {
        // The /48 first: a sweep across the /64s of one /48 is refused there, before an entry is
        // made for every /64. A request refused by its /64 has still spent its /48's permit: it was
        // a request from that /48.
        if (keys.Wide is { } wide)
        {
            using RateLimitLease wider = limiter.AttemptAcquire(wide, permits);
            if (!wider.IsAcquired)
            {
                return false;
            }
        }

        using RateLimitLease narrow = limiter.AttemptAcquire(keys.Narrow, permits);
        return narrow.IsAcquired;
    }

    private static PartitionedRateLimiter<AddressKey> Create(int burst, TimeSpan period, int wideFactor) =>
        PartitionedRateLimiter.Create<AddressKey, AddressKey>(key => RateLimitPartition.GetTokenBucketLimiter(key, k =>
        {
            int factor = k.IsWide ? wideFactor : 1;
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst * factor,
                TokensPerPeriod = factor,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            };
        }));

    /// <inheritdoc/>
    public void Dispose()
    {
        _allocations.Dispose();
        _claims.Dispose();
        _failedClaims.Dispose();
    }
}
