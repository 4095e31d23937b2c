using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// bench/file-throughput.py (issue 14) runs its three copies — securechat, a plain TCP copy, OpenSSL
/// TLS 1.3 — on a 1 MB file and prints well-formed figures (their values are the benchmark's business).
/// </summary>
public class FileThroughputScriptTests
{
    [Fact]
    public async Task File_throughput_copies_three_ways_and_prints_every_rate_and_ratio()
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "Bench", "file-throughput.py"), "--size-mb", "1", "--runs", "1", "--dll", Path.Combine(AppContext.BaseDirectory, "securechat.dll") })
        {
            info.ArgumentList.Add(arg);
        }

        using Process script = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        Task<string> stdout = script.StandardOutput.ReadToEndAsync();
        Task<string> stderr = script.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            try
            {
                await script.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                script.Kill(entireProcessTree: true);
                throw;
            }
        }

        string output = await stdout;
        Assert.True(script.ExitCode == 0, $"exit {script.ExitCode}: {await stderr}\n{output}");
        string[] lines = output.Trim().Split('\n');
        foreach (string row in new[] { "securechat", "securechat transfer", "plain TCP", "openssl TLS 1.3" })
        {
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^{Regex.Escape(row)}\s+\d+\s+\d+\s+\d+\s*$")); // best, median, the one run
        }

        foreach (string row in new[] { "securechat / plain TCP", "securechat / openssl" })
        {
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^{Regex.Escape(row)}\s+\d+\.\d\d\s+\d+\.\d\d\s*$")); // of the bests, median of runs
        }

        using JsonDocument result = JsonDocument.Parse(lines[^1]);
        double Value(string key) => result.RootElement.GetProperty(key).GetDouble();
        string[] rates = ["securechat_MBps", "securechat_transfer_MBps", "securechat_end_to_end_MBps", "plain_tcp_MBps", "openssl_tls13_MBps"];
        foreach (string key in rates.Concat(["securechat_vs_plain", "securechat_vs_openssl", "transfer_vs_plain", "transfer_vs_openssl"]))
        {
            Assert.True(double.IsFinite(Value(key)) && Value(key) > 0, key);
        }

        Assert.Equal(1, Value("size_mb"));
        AssertRatio(Value("securechat_vs_plain"), Value("securechat_MBps"), Value("plain_tcp_MBps"));
        AssertRatio(Value("securechat_vs_openssl"), Value("securechat_MBps"), Value("openssl_tls13_MBps"));
        AssertRatio(Value("transfer_vs_plain"), Value("securechat_transfer_MBps"), Value("plain_tcp_MBps"));
        Assert.True(Value("securechat_transfer_MBps") >= Value("securechat_MBps"), "the transfer is a part of /send → file-done");
        foreach (JsonProperty runs in result.RootElement.GetProperty("all_runs_MBps").EnumerateObject())
        {
            Assert.Equal(1, runs.Value.GetArrayLength());
        }
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
}
