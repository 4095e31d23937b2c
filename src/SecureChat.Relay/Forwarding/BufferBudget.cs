using System.Buffers;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The forwarding buffers of all pairs together (128 MiB by default). A read asks for the size
/// its direction has grown to (64 KiB … 2 MiB) and gets it while the budget lasts; with the budget
/// short it gets the largest power of two that fits, and with it spent the minimum (16 KiB), so a
/// pair never waits on another's buffers: the budget can be exceeded by at most the minimum per
/// direction in flight. Arrays come from the shared <see cref="ArrayPool{T}"/> and go back after
/// the send. A buffer is held as long as its send takes, which the receiving client decides, so
/// each receiving address (a non-exempt client's IPv4 address or IPv6 /64) may hold at most
/// 1/64 of the budget (2 MiB of 128 MiB) beyond the minimum per read: a slow reader that keeps many
/// 2 MiB sends pending cannot take the budget from everyone else. The zero-copy path holds bytes in
/// a kernel pipe instead of an array, and charges what one splice may put there the same way
/// (<see cref="Reserve"/>, <see cref="Release"/>), until the pipe is empty again.
/// </summary>
internal sealed class BufferBudget(long budget, int minimum)
{
    /// <summary>The share of the budget one receiving address may hold.</summary>
    public const int HolderShareDivisor = 64;

    private readonly long _budget = budget;
    private readonly long _perHolder = Math.Max(minimum, budget / HolderShareDivisor);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Limits.AddressKey, long> _held = new();
    private long _available = budget;

    /// <summary>Bytes lent out now.</summary>
    public long InUse => _budget - Volatile.Read(ref _available);

    /// <summary>A buffer of at least <paramref name="granted"/> bytes, at most <paramref name="wanted"/> unless the minimum is larger.</summary>
    public byte[] Rent(int wanted, out int granted) => Rent(wanted, holder: null, out granted);

    /// <summary>As <see cref="Rent(int, out int)"/>, charged to the receiving address <paramref name="holder"/> (null: exempt).</summary>
    public byte[] Rent(int wanted, Limits.AddressKey? holder, out int granted)
    {
        Reserve(wanted, holder, out granted);
        return ArrayPool<byte>.Shared.Rent(granted);
    }

    /// <summary>Gives back a buffer rented for <paramref name="holder"/>.</summary>
    public void Return(byte[] buffer, int granted, Limits.AddressKey? holder)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        Release(granted, holder);
    }

    /// <summary>
    /// Charges <paramref name="granted"/> bytes (chosen as for <see cref="Rent(int, Limits.AddressKey?, out int)"/>)
    /// without an array: the bytes a splice may move into a pipe.
    /// </summary>
    public void Reserve(int wanted, Limits.AddressKey? holder, out int granted)
    {
        if (holder is { } key)
        {
            long held = _held.GetValueOrDefault(key);
            long room = _perHolder - held;
            wanted = room >= wanted ? wanted : (int)Math.Max(minimum, room >= minimum ? 1L << (int)(63 - long.LeadingZeroCount(room)) : minimum);
        }

        granted = Within(wanted);
        if (holder is { } charged)
        {
            int amount = granted;
            _held.AddOrUpdate(charged, amount, (_, held) => held + amount);
        }
    }

    /// <summary>Gives back what <see cref="Reserve"/> charged.</summary>
    public void Release(int granted, Limits.AddressKey? holder)
    {
        if (holder is { } key)
        {
            long left = _held.AddOrUpdate(key, 0, (_, held) => held - granted);
            if (left <= 0)
            {
                _held.TryRemove(new KeyValuePair<Limits.AddressKey, long>(key, left));
            }
        }

        Interlocked.Add(ref _available, granted);
    }

    private int Within(int wanted)
    {
        long available = Volatile.Read(ref _available);
        int granted = available >= wanted ? wanted
            : available >= minimum ? (int)Math.Max(minimum, 1L << (int)(63 - long.LeadingZeroCount(available)))
            : minimum;
        Interlocked.Add(ref _available, -granted);
        return granted;
    }

    /// <summary>Gives a buffer back.</summary>
    public void Return(byte[] buffer, int granted) => Return(buffer, granted, holder: null);
}
