using System.Net;
using System.Net.Sockets;

namespace SecureChat.Rendezvous;

/// <summary>
/// Whether an address is public unicast, for the relay's redirect check (a relay must not point a
/// client at the client's own network): not RFC 1918, 100.64/10 (carrier-grade NAT), loopback,
/// link-local, "this network" 0/8, reserved 240/4, the broadcast address, fc00::/7, multicast, the
/// unspecified address, nor any of these in IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
/// NAT64 (64:ff9b::/96) or 6to4 (2002::/16) form; the local-use NAT64 prefix 64:ff9b:1::/48 (RFC
/// 8215), which reaches whatever IPv4 network the local translator serves, is never public.
/// </summary>
public static class PublicAddress
{
    /// <summary>True when <paramref name="address"/> is a public unicast address.</summary>
    public static bool IsPublicUnicast(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            return false;
        }

        if (written == 4)
        {
            return IsPublicIPv4(bytes[..4]);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || written != 16)
        {
            return false;
        }

        ReadOnlySpan<byte> v6 = bytes[..16];

        // An IPv4 address inside an IPv6 one is judged as that IPv4 address.
        bool mapped = v6[..10].IndexOfAnyExcept((byte)0) < 0 && v6[10] == 0xff && v6[11] == 0xff;
        bool compatible = v6[..12].IndexOfAnyExcept((byte)0) < 0;
        bool nat64 = v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4..12].IndexOfAnyExcept((byte)0) < 0;
        if (mapped || compatible || nat64)
        {
            return IsPublicIPv4(v6[12..]);
        }

        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4] == 0x00 && v6[5] == 0x01)
        {
            return false; // local-use NAT64 64:ff9b:1::/48
        }

        if (v6[0] == 0x20 && v6[1] == 0x02)
        {
            return IsPublicIPv4(v6[2..6]); // 6to4 2002::/16 carries its IPv4 address in bytes 2-5
        }

        return v6[0] switch
        {
            0xff => false, // multicast
            0xfc or 0xfd => false, // unique local fc00::/7
            0xfe when (v6[1] & 0xc0) == 0x80 => false, // link-local fe80::/10
            0xfe when (v6[1] & 0xc0) == 0xc0 => false, // site-local fec0::/10 (deprecated)
            _ => true,
        };
    }

    private static bool IsPublicIPv4(ReadOnlySpan<byte> a) => a[0] switch
    {
        0 => false, // "this network"
        10 => false, // RFC 1918
        100 when (a[1] & 0xc0) == 64 => false, // 100.64/10, carrier-grade NAT
        127 => false, // loopback
        169 when a[1] == 254 => false, // link-local
        172 when (a[1] & 0xf0) == 16 => false, // RFC 1918
        192 when a[1] == 168 => false, // RFC 1918
        >= 224 => false, // multicast 224/4, reserved 240/4, broadcast
        _ => true,
    };
}
