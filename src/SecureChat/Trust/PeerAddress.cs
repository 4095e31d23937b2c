using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecureChat.Trust;

/// <summary>
/// A host and port as the user wrote them: a name, an IPv4 address, "host:port", an IPv6 address
/// ("::1") or a bracketed one with a port ("[::1]:5555"). <see cref="Key"/> is the canonical form
/// used in known_peers, so that every spelling of one endpoint finds the same entry: an IP literal
/// as the address it parses to (IPv4 dotted quad, so "127.1" and "2130706433" are "127.0.0.1";
/// IPv6 in RFC 5952 form in brackets; an IPv4-mapped IPv6 address as its IPv4 address), a host
/// name in lower case without a trailing dot; then ":port".
/// </summary>
public sealed record PeerAddress(string Host, int Port)
{
    /// <summary>The known_peers key, e.g. "example.org:5555", "127.0.0.1:5555" or "[::1]:5555".</summary>
    public string Key => CanonicalHost(Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The canonical form of a known_peers key read from a file, which an older version (or a hand
    /// edit) may have written in another spelling; text that is not "host:port" comes back as it is.
    /// </summary>
    public static string CanonicalKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryParse(key, 0, out PeerAddress? address, out _) && address!.Port != 0 ? address.Key : key;
    }

    private static string CanonicalHost(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                ip = ip.MapToIPv4();
            }

            // IPAddress.ToString gives the dotted quad for IPv4 and the RFC 5952 text for IPv6.
            return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        }

        string name = host.ToLowerInvariant();
        return name.Length > 1 && name.EndsWith('.') ? name[..^1] : name;
    }

    /// <inheritdoc/>
    public override string ToString() => Key;

    /// <summary>Parses user input.</summary>
    /// <param name="text">What the user typed.</param>
    /// <param name="defaultPort">The port when the text names none.</param>
    /// <param name="address">The parsed address.</param>
    /// <param name="error">Why the text is not an address, in words a user can act on.</param>
    public static bool TryParse(string text, int defaultPort, out PeerAddress? address, out string? error)
    {
        address = null;
        error = null;
        string input = (text ?? "").Trim();
        if (input.Length == 0)
        {
            error = "the address is empty: give a host name or IP address, optionally with :PORT";
            return false;
        }

        string host;
        string? port = null;
        if (input.StartsWith('['))
        {
            int close = input.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{input}' opens '[' without closing ']': write an IPv6 address as [::1]:5555";
                return false;
            }

            host = input[1..close];
            string rest = input[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    error = $"'{input}' has text after ']' that is not ':PORT'";
                    return false;
                }

                port = rest[1..];
            }

            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (input.Count(c => c == ':') > 1)
        {
            // Several colons without brackets: a bare IPv6 address, with no port.
            host = input;
            if (!IPAddress.TryParse(host, out _))
            {
                error = $"'{input}' is not an address: write IPv6 with a port as [::1]:5555";
                return false;
            }
        }
        else
        {
            int colon = input.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? input : input[..colon];
            port = colon < 0 ? null : input[(colon + 1)..];
        }

        if (host.Length == 0 || host.Length > 253 || !IsHostName(host))
        {
            error = $"'{host}' is not a host name or IP address";
            return false;
        }

        int portNumber = defaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            error = $"'{port}' is not a port number (1-65535)";
            return false;
        }

        address = new PeerAddress(host.ToLowerInvariant(), portNumber);
        return true;
    }

    private static bool IsHostName(string host) =>
        IPAddress.TryParse(host, out _) || host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_');
}
