using System.Net;

namespace SecureChat.Relay.Limits;

/// <summary>The networks of <c>--exempt</c>: their clients skip the per-address limits (never the global ones).</summary>
internal sealed class ExemptNetworks(IReadOnlyList<IPNetwork> networks)
{
    /// <summary>True when <paramref name="address"/> (or its IPv4 form, for an IPv4-mapped address) is in one of the networks.</summary>
    public bool Contains(IPAddress address)
    {
        IPAddress plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (IPNetwork network in networks)
        {
            if (network.Contains(address) || network.Contains(plain))
            {
                return true;
            }
        }

        return false;
    }
}
