using System.Net;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Limits;

namespace SecureChat.Relay.Tests.Limits;

/// <summary>What a per-address limit counts: IPv4 /32, IPv6 /64 and /48; the count limiter; the buffer budget.</summary>
public sealed class AddressKeyTests
{
    [Fact]
    public void An_ipv4_address_and_its_mapped_form_are_one_key()
    {
        AddressKeys plain = AddressKeys.Of(IPAddress.Parse("192.0.2.7"));
        Assert.Equal(plain, AddressKeys.Of(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.Null(plain.Wide);
        Assert.NotEqual(plain, AddressKeys.Of(IPAddress.Parse("192.0.2.8")));
    }

    [Fact]
    public void Ipv6_addresses_count_by_64_and_by_48()
    {
        AddressKeys a = AddressKeys.Of(IPAddress.Parse("2001:db8:1:2::1"));
        AddressKeys sameSlash64 = AddressKeys.Of(IPAddress.Parse("2001:db8:1:2:ffff::9"));
        AddressKeys sameSlash48 = AddressKeys.Of(IPAddress.Parse("2001:db8:1:3::1"));
        AddressKeys other = AddressKeys.Of(IPAddress.Parse("2001:db8:2::1"));

        Assert.Equal(a, sameSlash64);
        Assert.NotEqual(a.Narrow, sameSlash48.Narrow);
        Assert.Equal(a.Wide, sameSlash48.Wide);
        Assert.NotEqual(a.Wide, other.Wide);
        Assert.True(a.Wide!.Value.IsWide);
    }

    [Fact]
    public void A_48_gets_four_times_the_per_address_limit()
    {
        var limiter = new CountLimiter(perAddress: 1, wideFactor: 4, global: 100);
        var leases = new List<CountLease>();
        for (int i = 0; i < 4; i++)
        {
            leases.Add(Assert.IsType<CountLease>(limiter.TryAcquire(AddressKeys.Of(IPAddress.Parse($"2001:db8:1:{i}::1")), exempt: false)));
        }

        Assert.Null(limiter.TryAcquire(AddressKeys.Of(IPAddress.Parse("2001:db8:1:9::1")), exempt: false));
        Assert.Null(limiter.TryAcquire(AddressKeys.Of(IPAddress.Parse("2001:db8:1:0::2")), exempt: false));
        Assert.NotNull(limiter.TryAcquire(AddressKeys.Of(IPAddress.Parse("2001:db8:2::1")), exempt: false));

        leases[0].Dispose();
        leases[0].Dispose();
        Assert.NotNull(limiter.TryAcquire(AddressKeys.Of(IPAddress.Parse("2001:db8:1:9::1")), exempt: false));
        Assert.Equal(5, limiter.Total);
    }

    [Fact]
    public void Exempt_clients_count_only_toward_the_global_cap()
    {
        var limiter = new CountLimiter(perAddress: 1, wideFactor: 4, global: 3);
        AddressKeys key = AddressKeys.Of(IPAddress.Loopback);
        Assert.NotNull(limiter.TryAcquire(key, exempt: true));
        Assert.NotNull(limiter.TryAcquire(key, exempt: true));
        Assert.NotNull(limiter.TryAcquire(key, exempt: false));
        Assert.Null(limiter.TryAcquire(key, exempt: true));
    }

    [Fact]
    public void The_buffer_budget_shrinks_grants_and_never_goes_below_the_minimum()
    {
        var budget = new BufferBudget(budget: 100_000, minimum: 16_384);
        byte[] a = budget.Rent(65_536, out int first);
        byte[] b = budget.Rent(65_536, out int second);
        byte[] c = budget.Rent(65_536, out int third);

        Assert.Equal(65_536, first);
        Assert.Equal(32_768, second);
        Assert.Equal(16_384, third);
        Assert.True(a.Length >= first && b.Length >= second && c.Length >= third);
        budget.Return(a, first);
        budget.Return(b, second);
        budget.Return(c, third);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public void One_receiving_address_holds_at_most_a_sixty_fourth_of_the_budget()
    {
        // 128 MiB: 2 MiB per receiving address. A slow reader's pending 2 MiB sends cannot take more.
        var budget = new BufferBudget(budget: 128L << 20, minimum: 16_384);
        AddressKey slow = AddressKeys.Of(System.Net.IPAddress.Parse("198.51.100.7")).Narrow;
        AddressKey other = AddressKeys.Of(System.Net.IPAddress.Parse("203.0.113.9")).Narrow;
        byte[] first = budget.Rent(2 << 20, slow, out int g1);
        byte[] second = budget.Rent(2 << 20, slow, out int g2);
        byte[] third = budget.Rent(2 << 20, other, out int g3);
        Assert.Equal(2 << 20, g1);
        Assert.Equal(16_384, g2); // over its share: only the minimum
        Assert.Equal(2 << 20, g3); // another address is not affected
        budget.Return(first, g1, slow);
        byte[] fourth = budget.Rent(2 << 20, slow, out int g4);
        Assert.Equal((2 << 20) - 16_384 >= 1 << 20 ? 1 << 20 : 16_384, g4); // what is left of its share, as a power of two
        budget.Return(second, g2, slow);
        budget.Return(third, g3, other);
        budget.Return(fourth, g4, slow);
        Assert.Equal(0, budget.InUse);
    }
}
