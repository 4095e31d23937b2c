using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SecureChat.Relay.Limits;

/// <summary>
/// The unit a per-address limit counts: an IPv4 address (/32), an IPv6 /64, or (wide) an IPv6
/// /48, as the top bits of a 128-bit value (IPv4 in its IPv4-mapped form). No other information
/// about the client is kept.
/// </summary>
internal readonly record struct AddressKey(UInt128 Prefix, byte PrefixLength)
{
    /// <summary>True for an IPv6 /48, which gets the wide factor of the limits.</summary>
    public bool IsWide => PrefixLength == 48;
}

/// <summary>The keys one client address counts under: its narrow key and, for IPv6, its /48.</summary>
internal readonly record struct AddressKeys(AddressKey Narrow, AddressKey? Wide)
{
    /// <summary>The keys of <paramref name="address"/> (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public static AddressKeys Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[10] = 0xFF;
            bytes[11] = 0xFF;
            address.TryWriteBytes(bytes[12..], out _);
            return new AddressKeys(new AddressKey(BinaryPrimitives.ReadUInt128BigEndian(bytes), 128), null);
        }

        address.TryWriteBytes(bytes, out _);
        UInt128 value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return new AddressKeys(new AddressKey(value & (UInt128.MaxValue << 64), 64), new AddressKey(value & (UInt128.MaxValue << 80), 48));
    }
}
