using System.Text.Json;
using System.Text.RegularExpressions;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>securechat bench runs end to end and reports every figure (their values are the benchmark's business, not a test's).</summary>
public class BenchCommandTests
{
    [Fact]
    public async Task Bench_json_prints_one_object_with_every_measurement_its_baseline_and_their_ratios()
    {
        using var home = new TempHome();
        await using CliProcess bench = CliProcess.Start(home.Path, null, "bench", "--seconds", "0.2", "--sessions", "20", "--json");
        Assert.Equal(0, await bench.ExitCodeAsync());
        string last = bench.Stdout.Trim().Split('\n')[^1];
        using JsonDocument result = JsonDocument.Parse(last);
        string[] keys =
        [
            "handshake_ms_p50", "handshake_ms_p99", "handshakes_per_s", "rtt_us_p50", "rtt_us_p99", "messages_per_s", "bulk_MBps", "session_kib", "session_heap_kib",
            "text_bulk_MBps", "tcp_rtt_us_p50", "tcp_messages_per_s", "tcp_MBps", "tcp_socket_MBps", "rtt_ratio", "messages_ratio", "bulk_ratio",
        ];
        Assert.Equal(keys.Order(), result.RootElement.EnumerateObject().Select(p => p.Name).Order());
        double Value(string key) => result.RootElement.GetProperty(key).GetDouble();
        foreach (string key in keys)
        {
            Assert.True(double.IsFinite(Value(key)), key);
            Assert.True(key is "session_kib" or "session_heap_kib" || Value(key) > 0, key); // memory growth over a few sessions can come out at 0 or below
        }

        Assert.True(Value("handshake_ms_p99") >= Value("handshake_ms_p50"));
        Assert.True(Value("rtt_us_p99") >= Value("rtt_us_p50"));
        AssertRatio(Value("bulk_ratio"), Value("bulk_MBps"), Value("tcp_MBps"));
        AssertRatio(Value("messages_ratio"), Value("messages_per_s"), Value("tcp_messages_per_s"), step: 1);
        AssertRatio(Value("rtt_ratio"), Value("rtt_us_p50"), Value("tcp_rtt_us_p50"));
        string memory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        Assert.Empty(Directory.EnumerateDirectories(memory, $"securechat-bench-{bench.Id}-*")); // the bulk phases' files are gone
    }

    /// <summary>
    /// The ratio matches its parts as printed: they are rounded to <paramref name="step"/>, so the
    /// ratio lies between the extremes their rounding allows (and is itself rounded to 0.001).
    /// </summary>
    private static void AssertRatio(double ratio, double numerator, double denominator, double step = 0.1)
    {
        double half = step / 2;
        double low = (numerator - half) / (denominator + half), high = (numerator + half) / (denominator - half);
        Assert.True(ratio >= low - 0.0006 && ratio <= high + 0.0006, $"ratio {ratio}, but {numerator} / {denominator} gives {numerator / denominator}");
    }

    [Fact]
    public async Task Bench_table_puts_each_figure_next_to_its_raw_tcp_baseline()
    {
        using var home = new TempHome();
        await using CliProcess bench = CliProcess.Start(home.Path, null, "bench", "--seconds", "0.2", "--sessions", "20");
        Assert.Equal(0, await bench.ExitCodeAsync());
        string[] lines = bench.Stdout.Trim().Split('\n');
        Assert.Matches(@"^measurement\s+securechat\s+raw TCP\s+ratio$", lines[0].TrimEnd());
        foreach (string row in new[] { "round trip p50", "one-way messages per second", "bulk, file in memory" })
        {
            string line = Assert.Single(lines, l => l.StartsWith(row, StringComparison.Ordinal));
            Assert.Matches(@"\s\d+\s+\d+\s+\d+\.\d\d$", line.TrimEnd()); // securechat, raw TCP, ratio
        }

        Assert.Contains(lines, l => Regex.IsMatch(l, @"^bulk, [\d,]+-byte texts \(MB/s\)\s+\d+\s*$"));
    }

    [Fact]
    public async Task Bench_refuses_impossible_settings()
    {
        using var home = new TempHome();
        await using CliProcess bench = CliProcess.Start(home.Path, null, "bench", "--seconds", "0");
        Assert.Equal(2, await bench.ExitCodeAsync());
        Assert.Contains("--seconds", bench.Stderr, StringComparison.Ordinal);
    }
}
