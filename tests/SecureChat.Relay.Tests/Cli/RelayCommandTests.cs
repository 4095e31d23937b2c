using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Cli;

/// <summary>The real <c>securechat relay</c> process: JSON events without addresses, SIGTERM drains, usage errors.</summary>
public sealed class RelayCommandTests
{
    [Fact]
    public async Task The_relay_command_pairs_logs_json_without_addresses_and_drains_on_sigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using Process relay = Start("relay", "--port", "0", "--bind", "127.0.0.1", "--json", "--exempt", "127.0.0.0/8");
        try
        {
            JsonElement started = await ReadEventAsync(relay, "relay_started");
            var endPoint = new IPEndPoint(IPAddress.Loopback, started.GetProperty("port").GetInt32());

            using TestClient waiter = await TestClient.ConnectAsync(endPoint);
            await waiter.SendAsync(new RelayAllocate());
            string nameplate = Assert.IsType<RelayAllocated>(await waiter.ReadMessageAsync()).Nameplate;
            using TestClient joiner = await TestClient.ConnectAsync(endPoint);
            await joiner.SendAsync(new RelayClaim(nameplate));
            Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
            Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());
            Assert.Equal(nameplate, (await ReadEventAsync(relay, "paired")).GetProperty("nameplate").GetString());

            using (Process kill = Process.Start("kill", ["-TERM", relay.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            Assert.Equal(1, (await ReadEventAsync(relay, "draining")).GetProperty("pairs").GetInt32());
            await joiner.SendRawAsync([1, 2]);
            Assert.Equal([1, 2], await waiter.ReadExactlyAsync(2));
            joiner.ShutdownSend();
            waiter.ShutdownSend();

            await ReadEventAsync(relay, "stopped");
            await relay.WaitForExitAsync().WaitAsync(TestClient.Guard);
            Assert.Equal(0, relay.ExitCode);
        }
        finally
        {
            if (!relay.HasExited)
            {
                relay.Kill();
            }
        }
    }

    [Theory]
    [InlineData("--exempt", "nonsense")]
    [InlineData("--exempt", "10.0.0.1/8")]
    [InlineData("--port", "70000")]
    [InlineData("--wait-timeout", "0")]
    [InlineData("--bind", "not-an-address")]
    [InlineData("--max-pair-bytes", "lots")]
    [InlineData("--max-pair-rate", "0")]
    public async Task A_bad_option_is_a_usage_error(string option, string value)
    {
        using Process relay = Start("relay", "--port", "0", "--bind", "127.0.0.1", option, value);
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

        string error = await relay.StandardError.ReadToEndAsync();

        Assert.Equal(2, relay.ExitCode);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    private static readonly HashSet<string> AddressKeys = ["address", "waiter_address", "joiner_address"];

    /// <summary>Reads event lines until one named <paramref name="name"/>; every line must be JSON without an address.</summary>
    private static async Task<JsonElement> ReadEventAsync(Process relay, string name)
    {
        while (true)
        {
            string? line = await relay.StandardOutput.ReadLineAsync().WaitAsync(TestClient.Guard);
            Assert.NotNull(line);
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement.Clone();
            Assert.DoesNotContain(root.EnumerateObject(), p => AddressKeys.Contains(p.Name));
            Assert.DoesNotContain("127.0.0.1", line, StringComparison.Ordinal);
            if (root.GetProperty("event").GetString() == name)
            {
                return root;
            }
        }
    }

    private static Process Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "securechat.dll"));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }
}
