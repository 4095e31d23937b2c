using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureChat.Tests.Support;

/// <summary>
/// Drives Interop/v2_peer.py, the independent Python implementation of protocol v2: one JSON
/// event per line on its stdout, one JSON command per line on its stdin (kept open for the session).
/// </summary>
internal sealed class PythonPeer : IDisposable
{
    private readonly Process _process;

    private PythonPeer(Process process) => _process = process;

    /// <summary>Starts v2_peer.py in <paramref name="role"/>; extra flags (hostile behaviours) go after the common ones.</summary>
    public static PythonPeer Start(string role, int? port = null, string? passphrase = null, params string[] extra)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Interop", "v2_peer.py");
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--role");
        info.ArgumentList.Add(role);
        info.ArgumentList.Add("--host");
        info.ArgumentList.Add("127.0.0.1");
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add((port ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (passphrase is not null)
        {
            info.ArgumentList.Add("--mode");
            info.ArgumentList.Add("psk");
            info.Environment["SECURECHAT_PASSPHRASE"] = passphrase;
        }

        foreach (string flag in extra)
        {
            info.ArgumentList.Add(flag);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        process.StandardInput.AutoFlush = true;
        return new PythonPeer(process);
    }

    /// <summary>The next event; fails the test with the peer's stderr if it exits or stays silent.</summary>
    public async Task<JsonElement> NextEventAsync()
    {
        string? line = await _process.StandardOutput.ReadLineAsync().WaitAsync(Loopback.Timeout);
        if (line is null)
        {
            string stderr = await _process.StandardError.ReadToEndAsync();
            throw new InvalidOperationException("the Python peer ended without another event: " + stderr);
        }

        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    public async Task<JsonElement> ExpectAsync(string eventName)
    {
        JsonElement evt = await NextEventAsync();
        Assert.True(evt.GetProperty("event").GetString() == eventName, $"expected {eventName}, got {evt}");
        return evt;
    }

    public Task SendAsync(string text) => CommandAsync(new JsonObject { ["cmd"] = "send", ["text"] = text });

    public Task SendTypeAsync(int type, byte[] body) => CommandAsync(new JsonObject { ["cmd"] = "send_type", ["type"] = type, ["body_hex"] = Convert.ToHexString(body) });

    public Task CloseAsync(string reason) => CommandAsync(new JsonObject { ["cmd"] = "close", ["reason"] = reason });

    private Task CommandAsync(JsonObject command) => _process.StandardInput.WriteLineAsync(command.ToJsonString());

    public async Task<int> ExitCodeAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Loopback.Timeout);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
