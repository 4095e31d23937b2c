using System.Globalization;
using System.Text.Json;

namespace SecureChat.Cli.Bench;

/// <summary>What `securechat bench` measured (issue 6): the keys of its JSON line, and a table for people.</summary>
internal sealed record BenchResult(
    double HandshakeMsP50,
    double HandshakeMsP99,
    double HandshakesPerSecond,
    double RttUsP50,
    double RttUsP99,
    double MessagesPerSecond,
    double BulkMBps,
    double SessionKiB)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, double>
    {
        ["handshake_ms_p50"] = Math.Round(HandshakeMsP50, 3),
        ["handshake_ms_p99"] = Math.Round(HandshakeMsP99, 3),
        ["handshakes_per_s"] = Math.Round(HandshakesPerSecond, 1),
        ["rtt_us_p50"] = Math.Round(RttUsP50, 1),
        ["rtt_us_p99"] = Math.Round(RttUsP99, 1),
        ["messages_per_s"] = Math.Round(MessagesPerSecond),
        ["bulk_MBps"] = Math.Round(BulkMBps, 1),
        ["session_kib"] = Math.Round(SessionKiB, 1),
    });

    public IEnumerable<string> Table()
    {
        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        yield return "measurement                                   value";
        yield return $"handshake latency p50 / p99 (ms)              {F(HandshakeMsP50, "0.00")} / {F(HandshakeMsP99, "0.00")}";
        yield return $"handshakes per second (new connections)       {F(HandshakesPerSecond, "0")}";
        yield return $"round trip p50 / p99, 100-byte text (µs)      {F(RttUsP50, "0")} / {F(RttUsP99, "0")}";
        yield return $"one-way messages per second, 100-byte text    {F(MessagesPerSecond, "0")}";
        yield return $"bulk, 65,518-byte messages (MB/s)             {F(BulkMBps, "0")}";
        yield return $"memory per idle connected session (KiB)       {F(SessionKiB, "0.0")}";
    }

    /// <summary>The value at quantile q (0..1) of samples, nearest rank.</summary>
    public static double Percentile(List<double> samples, double q)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        samples.Sort();
        int rank = (int)Math.Ceiling(q * samples.Count) - 1;
        return samples[Math.Clamp(rank, 0, samples.Count - 1)];
    }
}
