namespace SecureChat.Relay.Nameplates;

/// <summary>
/// Who waits under which nameplate (docs/RELAY.md, "Nameplates"). One node keeps this in memory
/// (<see cref="InMemoryNameplateRegistry"/>); a set of nodes would keep it in Redis, behind this
/// same interface: allocate = the bitmap or SET NX script plus a lease refreshed for the waiters
/// this node holds; claim = the claim script, whose "held by another node" answer is
/// <see cref="ClaimResult.Redirect"/>; release = turning the key into a 60 s "used" tombstone.
/// The methods are asynchronous for that implementation; the in-memory one completes synchronously.
/// </summary>
internal interface INameplateRegistry : IDisposable
{
    /// <summary>Nameplates waiting on this node now.</summary>
    int Waiting { get; }

    /// <summary>
    /// Reserves a nameplate for <paramref name="waiter"/> (the smallest free in 1–99, then 100–999,
    /// then random up to 999,999; never one waiting or quarantined) and registers the waiter under
    /// it; claims find it once <see cref="Waiter.TryOpen"/> has run. Null when none is free (busy).
    /// </summary>
    ValueTask<int?> AllocateAsync(Waiter waiter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims <paramref name="nameplate"/>. When a waiter is there, open, and
    /// <paramref name="admit"/> accepts it, the waiter is paired (<see cref="Waiter.TryPair"/>),
    /// the nameplate consumed and quarantined; if <paramref name="admit"/> refuses, nothing is
    /// consumed and the answer is <see cref="ClaimResult.Busy"/>. <paramref name="admit"/> (the
    /// pair limits) is asked only about a waiter held on this node: a nameplate held by another
    /// node is redirected whatever this node's pair count, since a redirect makes no pair here.
    /// </summary>
    ValueTask<ClaimOutcome> ClaimAsync(int nameplate, Func<Waiter, bool> admit, CancellationToken cancellationToken = default);

    /// <summary>The waiter stopped waiting (left, expired, impatient, shutdown): its nameplate is quarantined.</summary>
    ValueTask ReleaseAsync(Waiter waiter);
}

/// <summary>What a claim found.</summary>
internal enum ClaimResult
{
    /// <summary>A waiter, now paired with the claimer.</summary>
    Paired,

    /// <summary>Nobody waits there: never allocated, already paired, or expired.</summary>
    Unknown,

    /// <summary>Someone waits, but a limit stops the pair; the nameplate is not consumed.</summary>
    Busy,

    /// <summary>Another node holds the waiter (scale-out only).</summary>
    Redirect,
}

/// <summary>A claim's result, with the paired waiter or the redirect address.</summary>
internal readonly record struct ClaimOutcome(ClaimResult Result, Waiter? Waiter = null, string? RedirectAddress = null);
