using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Forwarding;

namespace SecureChat.Relay.Tests.Forwarding;

/// <summary>The pipes of the zero-copy path: descriptors counted against the pipes' share of the open-file limit, and a back-off (never a spin) when none can be had.</summary>
public sealed class SplicePipesTests
{
    [Fact]
    public void A_pipe_takes_two_descriptor_slots_and_gives_them_back_when_closed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int slots = 10;
        var pipes = new SplicePipes(new RelayLimits(), TimeProvider.System, () => TryTake(ref slots), () => slots++);

        SplicePipe pipe = Assert.IsType<SplicePipe>(pipes.TryOpen());
        Assert.Equal(8, slots);
        Assert.Equal(1, pipes.Open);
        Assert.InRange(pipe.Capacity, 4096, new RelayLimits().MaxReadSize);
        pipes.Close(pipe);
        Assert.Equal((10, 0, 1), (slots, pipes.Open, pipes.Opened));
    }

    [Fact]
    public void Without_a_descriptor_slot_no_pipe_is_tried_again_before_the_back_off_ends()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var time = new FakeTimeProvider();
        int slots = 1;
        int asked = 0;
        var pipes = new SplicePipes(new RelayLimits(), time, () => { asked++; return TryTake(ref slots); }, () => slots++);

        Assert.Null(pipes.TryOpen());
        Assert.Equal(1, slots); // the one slot taken was given back
        int askedOnce = asked;
        for (int i = 0; i < 1000; i++)
        {
            Assert.Null(pipes.TryOpen());
        }

        Assert.Equal(askedOnce, asked);
        Assert.Equal(1001, pipes.Failed);

        time.Advance(SplicePipes.RetryDelay);
        slots = 2;
        SplicePipe pipe = Assert.IsType<SplicePipe>(pipes.TryOpen());
        pipes.Close(pipe);
        Assert.Equal(2, slots);
    }

    [Fact]
    public void With_zero_copy_off_no_pipe_is_opened()
    {
        int slots = 10;
        var pipes = new SplicePipes(new RelayLimits { ZeroCopy = false }, TimeProvider.System, () => TryTake(ref slots), () => slots++);

        Assert.False(pipes.Enabled);
        Assert.Null(pipes.TryOpen());
        Assert.Equal(10, slots);
    }

    [Fact]
    public void A_reservation_counts_against_the_budget_and_the_receivers_share_like_a_buffer()
    {
        var budget = new BufferBudget(budget: 128L << 20, minimum: 16_384);
        SecureChat.Relay.Limits.AddressKey slow = SecureChat.Relay.Limits.AddressKeys.Of(System.Net.IPAddress.Parse("203.0.113.9")).Narrow;

        budget.Reserve(2 << 20, slow, out int first);
        budget.Reserve(2 << 20, slow, out int second);

        Assert.Equal(2 << 20, first);
        Assert.Equal(16_384, second); // the address's share (1/64 of the budget) is used up
        Assert.Equal(first + second, budget.InUse);
        budget.Release(first, slow);
        budget.Release(second, slow);
        Assert.Equal(0, budget.InUse);
        budget.Reserve(2 << 20, slow, out int again);
        Assert.Equal(2 << 20, again);
        budget.Release(again, slow);
    }

    private static bool TryTake(ref int slots)
    {
        if (slots == 0)
        {
            return false;
        }

        slots--;
        return true;
    }
}
