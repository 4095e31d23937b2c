using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Cli;

/// <summary>The real <c>securechat relay</c> with <c>--redis --advertise</c>, a Redis password from the environment or a file, and <c>--metrics</c>.</summary>
public sealed class RelayScaleOutCommandTests
{
    [Fact]
    public async Task Two_relay_processes_on_one_password_protected_redis_redirect_a_claim_and_serve_readyz()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const string password = "correct horse battery staple";
        using TestRedis redis = await TestRedis.StartAsync(password);
        string passwordFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        int portA = TestRedis.FreePort();
        int portB = TestRedis.FreePort();
        int metricsA = TestRedis.FreePort();
        using Process a = Start(password, "--port", Text(portA), "--redis", redis.EndPoint, "--advertise", $"127.0.0.1:{Text(portA)}", "--metrics", $"127.0.0.1:{Text(metricsA)}");
        using Process b = Start(null, "--port", Text(portB), "--redis", redis.EndPoint, "--advertise", $"127.0.0.1:{Text(portB)}", "--redis-password-file", passwordFile);
        try
        {
            await ReadEventAsync(a, "relay_started");
            await ReadEventAsync(b, "relay_started");
            using var http = new HttpClient { Timeout = TestClient.Guard };
            var readyz = new Uri($"http://127.0.0.1:{Text(metricsA)}/readyz");
            using (var guard = new CancellationTokenSource(TestClient.Guard))
            {
                // Ready once the node has authenticated to Redis.
                while ((await http.GetAsync(readyz, guard.Token)).StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(20, guard.Token);
                }
            }

            using TestClient waiter = await TestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, portA));
            await waiter.SendAsync(new RelayAllocate());
            string nameplate = Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync()).Nameplate;
            using (TestClient first = await TestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, portB)))
            {
                await first.SendAsync(new RelayClaim(nameplate));
                Assert.Equal($"127.0.0.1:{Text(portA)}", Assert.IsType<RelayRedirect>(await first.ReadMessageAsync()).Address);
            }

            using TestClient joiner = await TestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, portA));
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
            Assert.Contains("securechat_relay_claims_total{result=\"paired\"} 1", await http.GetStringAsync(new Uri($"http://127.0.0.1:{Text(metricsA)}/metrics")), StringComparison.Ordinal);
        }
        finally
        {
            foreach (Process relay in (Process[])[a, b])
            {
                if (!relay.HasExited)
                {
                    relay.Kill();
                }
            }

            File.Delete(passwordFile);
        }
    }

    [Theory]
    [InlineData("--redis", "127.0.0.1:6379")]
    [InlineData("--advertise", "127.0.0.1:4747")]
    [InlineData("--redis-password-file", "/nonexistent")]
    [InlineData("--metrics", "nonsense")]
    [InlineData("--metrics", "127.0.0.1")]
    public async Task A_bad_scale_out_option_is_a_usage_error(string option, string value)
    {
        using Process relay = Start(null, "--port", "0", option, value);
        try
        {
            await relay.WaitForExitAsync().WaitAsync(TestClient.Guard);
        }
        finally
        {
            if (!relay.HasExited)
            {
                relay.Kill();
            }
        }

        Assert.Equal(2, relay.ExitCode);
        Assert.Contains(option, await relay.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_advertise_address_that_is_not_host_and_port_is_a_usage_error()
    {
        using Process relay = Start(null, "--port", "0", "--redis", "127.0.0.1:6379", "--advertise", "relay.example");
        await relay.WaitForExitAsync().WaitAsync(TestClient.Guard);
        Assert.Equal(2, relay.ExitCode);
        Assert.Contains("--advertise", await relay.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    private static async Task<JsonElement> ReadEventAsync(Process relay, string name)
    {
        while (true)
        {
            string? line = await relay.StandardOutput.ReadLineAsync().WaitAsync(TestClient.Guard);
            Assert.NotNull(line);
            using JsonDocument document = JsonDocument.Parse(line);
            if (document.RootElement.GetProperty("event").GetString() == name)
            {
                return document.RootElement.Clone();
            }
        }
    }

    private static Process Start(string? passwordInEnvironment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "securechat.dll"));
        info.ArgumentList.Add("relay");
        info.ArgumentList.Add("--bind");
        info.ArgumentList.Add("127.0.0.1");
        info.ArgumentList.Add("--json");
        info.ArgumentList.Add("--exempt");
        info.ArgumentList.Add("127.0.0.0/8");
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("SECURECHAT_REDIS_PASSWORD");
        if (passwordInEnvironment is not null)
        {
            info.Environment["SECURECHAT_REDIS_PASSWORD"] = passwordInEnvironment;
        }

        return Process.Start(info)!;
    }
}
