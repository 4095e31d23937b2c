using System.Globalization;
using System.Text.Json;
using SecureChat.Relay;

namespace SecureChat.Cli.Commands;

/// <summary>
/// Writes the relay's events, one line each: readable text, or with --json one object per line
/// (<c>{"event":"paired","time":…,"nameplate":"17"}</c>). Addresses appear only when the relay
/// was asked to log them; nothing else about a client ever reaches these lines.
/// </summary>
internal sealed class RelayEventWriter(TextWriter output, bool json)
{
    private readonly Lock _lock = new();

    public void Write(RelayEvent relayEvent)
    {
        string line = json ? Json(relayEvent) : Text(relayEvent);
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    internal static string Json(RelayEvent e)
    {
        var fields = new Dictionary<string, object?> { ["event"] = Name(e), ["time"] = e.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        switch (e)
        {
            case RelayStarted s:
                fields["port"] = s.Port;
                fields["connection_cap"] = s.ConnectionCap;
                fields["max_waiting"] = s.MaxWaiting;
                fields["max_pairs"] = s.MaxPairs;
                break;
            case NameplateAllocated a:
                fields["nameplate"] = a.Nameplate;
                AddAddress(fields, "address", a.Address);
                break;
            case NameplatePaired p:
                fields["nameplate"] = p.Nameplate;
                AddAddress(fields, "waiter_address", p.WaiterAddress);
                AddAddress(fields, "joiner_address", p.JoinerAddress);
                break;
            case WaiterEnded w:
                fields["nameplate"] = w.Nameplate;
                fields["reason"] = w.Reason;
                break;
            case PairClosed c:
                fields["nameplate"] = c.Nameplate;
                fields["bytes_to_waiter"] = c.BytesToWaiter;
                fields["bytes_to_joiner"] = c.BytesToJoiner;
                fields["seconds"] = Math.Round(c.Duration.TotalSeconds, 3);
                fields["reason"] = c.Reason;
                break;
            case RefusalsSummarised r:
                fields["counts"] = r.Counts;
                fields["interval_seconds"] = r.Interval.TotalSeconds;
                break;
            case AcceptBackedOff b:
                fields["delay_ms"] = b.Delay.TotalMilliseconds;
                break;
            case RelayDraining d:
                fields["waiting"] = d.Waiting;
                fields["pairs"] = d.Pairs;
                fields["grace_seconds"] = d.Grace.TotalSeconds;
                break;
            case RelayStopped s:
                fields["waiting"] = s.Waiting;
                fields["pairs"] = s.Pairs;
                break;
            case RedisConnectionChanged r:
                fields["up"] = r.Up;
                break;
        }

        return JsonSerializer.Serialize(fields);
    }

    internal static string Text(RelayEvent e)
    {
        string time = e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        string what = e switch
        {
            RelayStarted s => $"relay listening on port {s.Port} (up to {s.MaxWaiting} waiting, {s.MaxPairs} pairs, {s.ConnectionCap} sockets); Ctrl+C or SIGTERM to stop",
            NameplateAllocated a => $"allocated {a.Nameplate}{From(a.Address)}",
            NameplatePaired p => $"paired {p.Nameplate}{From(p.WaiterAddress)}{(p.JoinerAddress is null ? "" : $" with {p.JoinerAddress}")}",
            WaiterEnded w => $"nameplate {w.Nameplate} ended: {w.Reason}",
            PairClosed c => $"pair {c.Nameplate} closed ({c.Reason}) after {c.Duration.TotalSeconds:0.#} s: {c.BytesToWaiter} bytes to the waiter, {c.BytesToJoiner} to the joiner",
            RefusalsSummarised r => $"refused in the last {r.Interval.TotalSeconds:0} s: {string.Join(", ", r.Counts.Select(kv => $"{kv.Value} {kv.Key}"))}",
            AcceptBackedOff b => $"out of file descriptors; accepting again in {b.Delay.TotalMilliseconds:0} ms",
            RelayDraining d => $"stopping: no new nameplates; serving {d.Waiting} waiting and {d.Pairs} pairs for up to {d.Grace.TotalSeconds:0} s (Ctrl+C again to stop now)",
            RelayStopped s => $"stopped ({s.Waiting} waiting and {s.Pairs} pairs closed)",
            RedisConnectionChanged { Up: true } => "Redis reachable again",
            RedisConnectionChanged => "Redis unreachable: new nameplates and claims for other nodes' nameplates get busy; waiters and pairs here go on",
            _ => e.GetType().Name,
        };
        return $"{time} {what}";
    }

    private static string Name(RelayEvent e) => e switch
    {
        RelayStarted => "relay_started",
        NameplateAllocated => "allocated",
        NameplatePaired => "paired",
        WaiterEnded => "waiter_ended",
        PairClosed => "pair_closed",
        RefusalsSummarised => "refusals",
        AcceptBackedOff => "accept_backoff",
        RelayDraining => "draining",
        RelayStopped => "stopped",
        RedisConnectionChanged => "redis",
        _ => "unknown",
    };

    private static void AddAddress(Dictionary<string, object?> fields, string name, System.Net.IPAddress? address)
    {
        if (address is not null)
        {
            fields[name] = address.ToString();
        }
    }

    private static string From(System.Net.IPAddress? address) => address is null ? "" : $" from {address}";
}
