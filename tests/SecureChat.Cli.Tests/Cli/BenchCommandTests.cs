using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>securechat bench runs end to end and reports every figure (their values are the benchmark's business, not a test's).</summary>
public class BenchCommandTests
{
    [Fact]
    public async Task Bench_json_prints_one_object_with_every_measurement()
    {
        using var home = new TempHome();
        await using CliProcess bench = CliProcess.Start(home.Path, null, "bench", "--seconds", "0.2", "--sessions", "20", "--json");
        Assert.Equal(0, await bench.ExitCodeAsync());
        string last = bench.Stdout.Trim().Split('\n')[^1];
        using JsonDocument result = JsonDocument.Parse(last);
        string[] keys = ["handshake_ms_p50", "handshake_ms_p99", "handshakes_per_s", "rtt_us_p50", "rtt_us_p99", "messages_per_s", "bulk_MBps", "session_kib"];
        Assert.Equal(keys.Order(), result.RootElement.EnumerateObject().Select(p => p.Name).Order());
        foreach (string key in keys.Where(k => k != "session_kib"))
        {
            Assert.True(result.RootElement.GetProperty(key).GetDouble() > 0, key);
        }

        Assert.True(result.RootElement.GetProperty("handshake_ms_p99").GetDouble() >= result.RootElement.GetProperty("handshake_ms_p50").GetDouble());
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
