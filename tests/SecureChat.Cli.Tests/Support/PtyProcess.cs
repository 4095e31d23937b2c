using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace SecureChat.Cli.Tests.Support;

/// <summary>
/// The real securechat executable on a pseudo-terminal (Support/pty_driver.py): keystrokes are
/// typed into the terminal, and what securechat writes to it is collected as a screen transcript.
/// stdout and stderr go to the terminal too, unless redirected to files. The driver also reports
/// the terminal's mode (raw or cooked) on request and when securechat has exited.
/// </summary>
internal sealed partial class PtyProcess : IAsyncDisposable
{
    /// <summary>Generous: the machine may be loaded, and nothing here measures time.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Process _driver;
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly StringBuilder _screen = new();
    private readonly StringBuilder _driverErrors = new();
    private readonly Lock _lock = new();

    private PtyProcess(Process driver)
    {
        _driver = driver;
        driver.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _events.Writer.TryComplete();
                return;
            }

            using JsonDocument document = JsonDocument.Parse(e.Data);
            JsonElement root = document.RootElement.Clone();
            if (root.GetProperty("event").GetString() == "output")
            {
                lock (_lock)
                {
                    _screen.Append(root.GetProperty("text").GetString());
                }
            }
            else
            {
                _events.Writer.TryWrite(root);
            }
        };
        driver.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lock)
                {
                    _driverErrors.AppendLine(e.Data);
                }
            }
        };
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
    }

    /// <summary>Everything written to the terminal so far, as it came (with escape sequences).</summary>
    public string RawScreen
    {
        get
        {
            lock (_lock)
            {
                return _screen.ToString();
            }
        }
    }

    /// <summary>
    /// Everything written to the terminal so far without escape sequences and carriage returns:
    /// the text a user would have seen scroll by. A sequence not yet complete is left out, so a
    /// longer transcript always starts with a shorter one.
    /// </summary>
    public string Screen => Plain(RawScreen);

    /// <summary>
    /// Starts `securechat ARGS` on a new terminal with SECURECHAT_HOME=<paramref name="home"/> and
    /// TERM=xterm; <paramref name="stdoutFile"/>/<paramref name="stderrFile"/> redirect those streams.
    /// </summary>
    public static async Task<PtyProcess> StartAsync(string home, string? stdoutFile, string? stderrFile, params string[] args)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Support", "pty_driver.py"));
        if (stdoutFile is not null)
        {
            info.ArgumentList.Add("--stdout");
            info.ArgumentList.Add(stdoutFile);
        }

        if (stderrFile is not null)
        {
            info.ArgumentList.Add("--stderr");
            info.ArgumentList.Add(stderrFile);
        }

        info.ArgumentList.Add("--");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "securechat.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SECURECHAT_HOME"] = home;
        info.Environment["TERM"] = "xterm";
        foreach (string name in (string[])["SECURECHAT_CODE", "SECURECHAT_RELAY", "SECURECHAT_PASSPHRASE", "SECURECHAT_KEYLOGFILE", "NO_COLOR"])
        {
            info.Environment.Remove(name);
        }

        var pty = new PtyProcess(Process.Start(info) ?? throw new InvalidOperationException("python3 did not start"));
        await pty.NextEventAsync("started");
        return pty;
    }

    /// <summary>Types <paramref name="keys"/> at the terminal ("\t" is Tab, "\r" is Enter, "\u0003" is Ctrl+C).</summary>
    public Task TypeAsync(string keys) => SendAsync(new { op = "type", text = keys });

    /// <summary>
    /// Waits until the screen shows <paramref name="text"/> at or after position <paramref name="from"/>
    /// of <see cref="Screen"/>; returns the position just after it.
    /// </summary>
    public async Task<int> WaitForAsync(string text, int from = 0)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            string screen = Screen;
            int at = screen.IndexOf(text, Math.Min(from, screen.Length), StringComparison.Ordinal);
            if (at >= 0)
            {
                return at + text.Length;
            }

            if (DateTime.UtcNow > deadline || _driver.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"the terminal never showed '{text}' after position {from}. Screen:\n{screen}\nDriver:\n{DriverErrors}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The terminal's mode now.</summary>
    public async Task<TerminalMode> ModeAsync()
    {
        await SendAsync(new { op = "termios" });
        return TerminalMode.From((await NextEventAsync("termios")).GetProperty("mode"));
    }

    /// <summary>Waits for securechat to exit (and its output to be read): its exit code (-N after signal N) and the mode it left the terminal in.</summary>
    public async Task<(int Code, TerminalMode Mode)> ExitAsync()
    {
        JsonElement exited = await NextEventAsync("exited");
        return (exited.GetProperty("code").GetInt32(), TerminalMode.From(exited.GetProperty("mode")));
    }

    private string DriverErrors
    {
        get
        {
            lock (_lock)
            {
                return _driverErrors.ToString();
            }
        }
    }

    private async Task SendAsync(object command)
    {
        await _driver.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command));
        await _driver.StandardInput.FlushAsync();
    }

    private async Task<JsonElement> NextEventAsync(string name)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                JsonElement e = await _events.Reader.ReadAsync(timeout.Token);
                if (e.GetProperty("event").GetString() == name)
                {
                    return e;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"the pty driver never reported '{name}'. Screen:\n{Screen}\nDriver:\n{DriverErrors}");
        }
    }

    private static string Plain(string raw)
    {
        string complete = Incomplete().Replace(raw, "");
        return Escape().Replace(complete, "").Replace("\r", "", StringComparison.Ordinal);
    }

    /// <summary>CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-character escapes (ESC =, ESC >, ESC 7 …).</summary>
    [GeneratedRegex(@"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[ -/]*[0-~]")]
    private static partial Regex Escape();

    /// <summary>An escape sequence cut off at the end of what has arrived so far.</summary>
    [GeneratedRegex(@"\x1b(\[[0-?]*[ -/]*|\][^\x07\x1b]*|[ -/]*)$")]
    private static partial Regex Incomplete();

    /// <summary>Ends the driver, which kills securechat if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _driver.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _driver.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            _driver.Kill(entireProcessTree: true);
        }

        _driver.Dispose();
    }
}

/// <summary>
/// A terminal's mode as the pty driver read it: canonical input (line editing by the kernel),
/// echo, and signal keys (Ctrl+C is SIGINT) are what a program in raw mode turns off.
/// </summary>
internal readonly record struct TerminalMode(bool Canonical, bool Echo, bool Signals, bool AsAtStart)
{
    /// <summary>Cooked: the kernel edits lines, echoes them, and turns Ctrl+C into SIGINT.</summary>
    public bool Cooked => Canonical && Echo && Signals;

    public static TerminalMode From(JsonElement mode) => new(
        mode.GetProperty("icanon").GetBoolean(),
        mode.GetProperty("echo").GetBoolean(),
        mode.GetProperty("isig").GetBoolean(),
        mode.GetProperty("as_at_start").GetBoolean());
}
