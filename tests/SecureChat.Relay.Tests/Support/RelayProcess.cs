using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace SecureChat.Relay.Tests.Support;

/// <summary>`securechat relay --exempt 127.0.0.0/8 --json` on a free port; its events are counted by name as they come.</summary>
internal sealed class RelayProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RelayProcess()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "securechat.dll"));
        foreach (string argument in new[] { "relay", "--port", "0", "--bind", "127.0.0.1", "--json", "--exempt", "127.0.0.0/8" })
        {
            info.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, _) => { };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public async Task<IPEndPoint> StartedAsync() => new(IPAddress.Loopback, await _port.Task.WaitAsync(TestClient.Guard));

    public int Count(string name) => _counts.GetValueOrDefault(name);

    /// <summary>
    /// The relay's open sockets and pipes now (from /proc/PID/fd). Other descriptors are left out:
    /// the runtime opens assemblies and symbol files as it needs them (to render a stack trace, say).
    /// </summary>
    public (int Sockets, int Pipes) Descriptors()
    {
        string[] kinds = DescriptorKinds();
        return (kinds.Count(k => k == "socket"), kinds.Count(k => k == "pipe"));
    }

    /// <summary>What each open descriptor is: "pipe", "socket", "file", "anon_inode:[eventpoll]"...</summary>
    public string[] DescriptorKinds()
    {
        var kinds = new List<string>();
        foreach (string fd in Directory.GetFiles($"/proc/{_process.Id}/fd"))
        {
            try
            {
                string target = new FileInfo(fd).LinkTarget ?? "?";
                kinds.Add(target.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe" : target.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : target.StartsWith('/') ? "file" : target);
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }

        return [.. kinds];
    }

    /// <summary>The descriptors by kind, for a message.</summary>
    public string DescribeDescriptors() =>
        string.Join(", ", DescriptorKinds().GroupBy(k => k).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));

    public long RssKiB()
    {
        string line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private void OnLine(string? line)
    {
        if (line is null || !line.StartsWith('{'))
        {
            return;
        }

        using JsonDocument document = JsonDocument.Parse(line);
        string name = document.RootElement.GetProperty("event").GetString()!;
        _counts.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (name == "relay_started")
        {
            _port.TrySetResult(document.RootElement.GetProperty("port").GetInt32());
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
