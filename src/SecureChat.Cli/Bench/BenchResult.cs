using System.Globalization;
using System.Text.Json;

namespace SecureChat.Cli.Bench;

/// <summary>
/// What `securechat bench` measured (issues 6 and 14): the keys of its JSON line, and a table for
/// people. Each session figure has its raw-TCP baseline from the same run (<c>tcp_*</c>: the same
/// sockets and frames without cryptography) and the ratio between the two.
/// </summary>
internal sealed record BenchResult(
    double HandshakeMsP50,
    double HandshakeMsP99,
    double HandshakesPerSecond,
    double RttUsP50,
    double RttUsP99,
    double MessagesPerSecond,
    double BulkMBps,
    double TextBulkMBps,
    double SessionKiB,
    double SessionHeapKiB,
    BenchBaselines Tcp)
{
    /// <summary>Session bulk (files) over the same file path without cryptography: above 0, 1 at best.</summary>
    public double BulkRatio => BulkMBps / Tcp.MBps;

    /// <summary>Session messages per second over raw frames per second.</summary>
    public double MessagesRatio => MessagesPerSecond / Tcp.MessagesPerSecond;

    /// <summary>Session round trip over the raw round trip (p50): 1 at best, higher is slower.</summary>
    public double RttRatio => RttUsP50 / Tcp.RttUsP50;

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, double>
    {
        ["handshake_ms_p50"] = Math.Round(HandshakeMsP50, 3),
        ["handshake_ms_p99"] = Math.Round(HandshakeMsP99, 3),
        ["handshakes_per_s"] = Math.Round(HandshakesPerSecond, 1),
        ["rtt_us_p50"] = Math.Round(RttUsP50, 1),
        ["rtt_us_p99"] = Math.Round(RttUsP99, 1),
        ["messages_per_s"] = Math.Round(MessagesPerSecond),
        ["bulk_MBps"] = Math.Round(BulkMBps, 1),
        ["text_bulk_MBps"] = Math.Round(TextBulkMBps, 1),
        ["session_kib"] = Math.Round(SessionKiB, 1),
        ["session_heap_kib"] = Math.Round(SessionHeapKiB, 2),
        ["tcp_rtt_us_p50"] = Math.Round(Tcp.RttUsP50, 1),
        ["tcp_messages_per_s"] = Math.Round(Tcp.MessagesPerSecond),
        ["tcp_MBps"] = Math.Round(Tcp.MBps, 1),
        ["tcp_socket_MBps"] = Math.Round(Tcp.SocketMBps, 1),
        ["rtt_ratio"] = Math.Round(RttRatio, 3),
        ["messages_ratio"] = Math.Round(MessagesRatio, 3),
        ["bulk_ratio"] = Math.Round(BulkRatio, 3),
    });

    public IEnumerable<string> Table()
    {
        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        static string Row(string name, string session, string tcp, string ratio) => $"{name,-46}{session,14}{tcp,14}{ratio,8}";
        yield return Row("measurement", "securechat", "raw TCP", "ratio");
        yield return Row("handshake latency p50 / p99 (ms)", $"{F(HandshakeMsP50, "0.00")} / {F(HandshakeMsP99, "0.00")}", "", "");
        yield return Row("handshakes per second (new connections)", F(HandshakesPerSecond, "0"), "", "");
        yield return Row("round trip p50, 100-byte text (µs)", F(RttUsP50, "0"), F(Tcp.RttUsP50, "0"), F(RttRatio, "0.00"));
        yield return Row("round trip p99, 100-byte text (µs)", F(RttUsP99, "0"), "", "");
        yield return Row("one-way messages per second, 100-byte text", F(MessagesPerSecond, "0"), F(Tcp.MessagesPerSecond, "0"), F(MessagesRatio, "0.00"));
        yield return Row("bulk, file in memory → memory (MB/s)", F(BulkMBps, "0"), F(Tcp.MBps, "0"), F(BulkRatio, "0.00"));
        yield return Row("bulk, same frames memory → memory (MB/s)", "", F(Tcp.SocketMBps, "0"), "");
        yield return Row($"bulk, {F(SecureChat.Session.SecureChatSession.MaxTextBytes, "N0")}-byte texts (MB/s)", F(TextBulkMBps, "0"), "", "");
        yield return Row("memory per idle connected session (KiB)", F(SessionKiB, "0.0"), "", "");
        yield return Row("  of which live managed heap (KiB)", F(SessionHeapKiB, "0.00"), "", "");
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

/// <summary>
/// The raw-TCP baselines of one bench run (<see cref="RawTcpBench"/>): round trip p50 (µs), frames
/// per second, the file path without cryptography (MB/s), and the same frames memory to memory (MB/s).
/// </summary>
internal sealed record BenchBaselines(double RttUsP50, double MessagesPerSecond, double MBps, double SocketMBps);
