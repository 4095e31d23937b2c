using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// The real securechat executable (securechat.dll run by the dotnet host), with stdin, stdout and
/// stderr redirected: stdout lines are collected as they come, so a test can wait for one.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdoutAll = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _lock = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stdout.Writer.TryComplete();
                return;
            }

            lock (_lock)
            {
                _stdoutAll.AppendLine(e.Data);
            }

            _stdout.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lock)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Everything written to stdout so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return _stdoutAll.ToString();
            }
        }
    }

    public static CliProcess Start(string home, IDictionary<string, string>? environment, params string[] args) =>
        Start(umask: null, home, environment, args);

    /// <summary>Starts securechat under a file-creation mask (through /bin/sh's umask), e.g. "000".</summary>
    public static CliProcess StartUnderUmask(string umask, string home, IDictionary<string, string>? environment, params string[] args) =>
        Start(umask, home, environment, args);

    private static CliProcess Start(string? umask, string home, IDictionary<string, string>? environment, string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "securechat.dll");
        var info = new ProcessStartInfo(umask is null ? "dotnet" : "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        if (umask is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"umask {umask} && exec dotnet \"$@\"");
            info.ArgumentList.Add("sh");
        }

        info.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SECURECHAT_HOME"] = home;
        info.Environment.Remove("SECURECHAT_PASSPHRASE");
        info.Environment.Remove("SECURECHAT_SEED_AES_PASSPHRASE");
        info.Environment.Remove("SECURECHAT_KEYLOGFILE");
        info.Environment.Remove("NO_COLOR");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("securechat did not start");
        return new CliProcess(process);
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Kills the process at once (no goodbye), as a crash or a power cut would.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>The process id (to read /proc/ID).</summary>
    public int Id => _process.Id;

    /// <summary>The next stdout line that satisfies <paramref name="match"/>; fails with both streams if none comes.</summary>
    public async Task<string> LineAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                string line = await _stdout.Reader.ReadAsync(timeout.Token);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"no matching line. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>The next JSON event with this name (lines that are not JSON are skipped).</summary>
    public async Task<JsonElement> EventAsync(string name)
    {
        string line = await LineAsync(l => l.StartsWith('{') && EventName(l) == name);
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    private static string? EventName(string line)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("event", out JsonElement e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Waits until stderr holds <paramref name="text"/> (JSON mode writes notices there).</summary>
    public async Task StderrContainsAsync(string text)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"stderr never said '{text}'. stdout:\n{Stdout}\nstderr:\n{Stderr}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<int> ExitCodeAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"securechat did not exit. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
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
