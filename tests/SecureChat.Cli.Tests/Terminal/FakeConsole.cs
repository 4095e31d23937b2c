using System.Text;
using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

/// <summary>
/// A console fed with keys by the test and recording everything written. <see cref="WaitUntilIdle"/>
/// waits until the reader is blocked again with no key left, that is until every fed key was handled.
/// </summary>
internal sealed class FakeConsole : IConsoleDriver, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly object sync = new();
    private readonly Queue<ConsoleKeyInfo> keys = new();
    private readonly List<string> writes = [];
    private Exception? failure;
    private bool waiting;
    private bool closed;

    public event EventHandler? Resized;

    public int Width { get; set; } = 80;

    public bool KeyAvailable
    {
        get
        {
            lock (sync)
            {
                return keys.Count > 0;
            }
        }
    }

    /// <summary>Whether ReadKey was ever called on a thread-pool thread.</summary>
    public bool ReadOnThreadPool { get; private set; }

    /// <summary>Everything written, in order.</summary>
    public string Output
    {
        get
        {
            lock (sync)
            {
                return string.Concat(writes);
            }
        }
    }

    /// <summary>How many Write calls so far; pass to <see cref="WritesSince"/>.</summary>
    public int WriteCount
    {
        get
        {
            lock (sync)
            {
                return writes.Count;
            }
        }
    }

    public IReadOnlyList<string> WritesSince(int mark)
    {
        lock (sync)
        {
            return writes.GetRange(mark, writes.Count - mark);
        }
    }

    public ConsoleKeyInfo ReadKey()
    {
        lock (sync)
        {
            ReadOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            while (keys.Count == 0 && failure is null && !closed)
            {
                waiting = true;
                Monitor.PulseAll(sync);
                Monitor.Wait(sync);
            }

            waiting = false;
            if (failure is not null)
            {
                throw failure;
            }

            ObjectDisposedException.ThrowIf(closed, this);
            return keys.Dequeue();
        }
    }

    public void Write(string text)
    {
        lock (sync)
        {
            writes.Add(text);
        }
    }

    public void Feed(params ConsoleKeyInfo[] fed)
    {
        lock (sync)
        {
            foreach (ConsoleKeyInfo key in fed)
            {
                keys.Enqueue(key);
            }

            waiting = false;
            Monitor.PulseAll(sync);
        }
    }

    public void Feed(string text) => Feed(TestKeys.Text(text));

    /// <summary>Makes the blocked (or next) ReadKey throw.</summary>
    public void Fail(Exception exception)
    {
        lock (sync)
        {
            failure = exception;
            Monitor.PulseAll(sync);
        }
    }

    public void RaiseResized() => Resized?.Invoke(this, EventArgs.Empty);

    public void WaitUntilIdle()
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        lock (sync)
        {
            while (!(waiting && keys.Count == 0))
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(sync, left))
                {
                    throw new TimeoutException("The editor did not come back for the next key.");
                }
            }
        }
    }

    /// <summary>The screen this output would produce on a terminal of <see cref="Width"/> columns.</summary>
    public VirtualTerminal Screen()
    {
        var terminal = new VirtualTerminal(Width);
        terminal.Feed(Output);
        return terminal;
    }

    public void Dispose()
    {
        lock (sync)
        {
            closed = true;
            Monitor.PulseAll(sync);
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (char c in Output)
        {
            text.Append(c == '\u001b' ? "␛" : c.ToString());
        }

        return text.ToString();
    }
}
