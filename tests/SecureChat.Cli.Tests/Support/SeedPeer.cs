using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// Drives a Python peer: a re-creation of one of the seed programs (Interop/seed_rsa_peer.py,
/// Interop/seed_aes_peer.py) or the independent v2 peer (Interop/v2_peer.py): JSON events on its
/// stdout, JSON commands on its stdin.
/// </summary>
internal sealed class SeedPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _all = new();
    private readonly StringBuilder _stderr = new();

    private SeedPeer(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                return;
            }

            lock (_all)
            {
                _all.AppendLine(e.Data);
            }

            _lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static SeedPeer Start(string script, string role, int port, string? passphrase = null, params string[] extra)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", script));
        foreach (string arg in new[] { "--role", role, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        if (passphrase is not null)
        {
            // v2_peer.py reads its passphrase from SECURECHAT_PASSPHRASE, the seed peers from SEED_AES_PASSPHRASE.
            info.Environment[script == "v2_peer.py" ? "SECURECHAT_PASSPHRASE" : "SEED_AES_PASSPHRASE"] = passphrase;
        }

        return new SeedPeer(Process.Start(info) ?? throw new InvalidOperationException("python3 did not start"));
    }

    public async Task<JsonElement> EventAsync(string name)
    {
        using var timeout = new CancellationTokenSource(CliProcess.Timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(timeout.Token);
                using JsonDocument document = JsonDocument.Parse(line);
                if (document.RootElement.GetProperty("event").GetString() == name)
                {
                    return document.RootElement.Clone();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            string all;
            lock (_all)
            {
                all = _all.ToString();
            }

            throw new Xunit.Sdk.XunitException($"the seed peer sent no '{name}'. stdout:\n{all}\nstderr:\n{_stderr}");
        }
    }

    public Task SendAsync(string text) => CommandAsync(new JsonObject { ["send"] = text });

    /// <summary>v2_peer.py only: sends one transport message of any type.</summary>
    public Task SendTypeAsync(int type, byte[] body) => CommandAsync(new JsonObject { ["send_type"] = type, ["body_hex"] = Convert.ToHexString(body) });

    public Task QuitAsync() => CommandAsync(new JsonObject { ["quit"] = true });

    private async Task CommandAsync(JsonObject command)
    {
        await _process.StandardInput.WriteLineAsync(command.ToJsonString());
        await _process.StandardInput.FlushAsync();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
