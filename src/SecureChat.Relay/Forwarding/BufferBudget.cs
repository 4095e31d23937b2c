using System.Buffers;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The forwarding buffers of all pairs together (128 MiB by default). A read asks for the size
/// its direction has grown to (64 KiB … 2 MiB) and gets it while the budget lasts; with the budget
/// short it gets the largest power of two that fits, and with it spent the minimum (16 KiB), so a
/// pair never waits on another's buffers: the budget can be exceeded by at most the minimum per
/// direction in flight. Arrays come from the shared <see cref="ArrayPool{T}"/> and go back after
/// the send.
/// </summary>
internal sealed class BufferBudget(long budget, int minimum)
{
    private readonly long _budget = budget;
    private long _available = budget;

    /// <summary>Bytes lent out now.</summary>
    public long InUse => _budget - Volatile.Read(ref _available);

    /// <summary>A buffer of at least <paramref name="granted"/> bytes, at most <paramref name="wanted"/> unless the minimum is larger.</summary>
    public byte[] Rent(int wanted, out int granted)
    {
        long available = Volatile.Read(ref _available);
        granted = available >= wanted ? wanted
            : available >= minimum ? (int)Math.Max(minimum, 1L << (int)(63 - long.LeadingZeroCount(available)))
            : minimum;
        Interlocked.Add(ref _available, -granted);
        return ArrayPool<byte>.Shared.Rent(granted);
    }

    /// <summary>Gives a buffer back.</summary>
    public void Return(byte[] buffer, int granted)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Add(ref _available, granted);
    }
}
