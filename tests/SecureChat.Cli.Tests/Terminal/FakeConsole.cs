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

    private readonly object _sync = new();
    private readonly Queue<ConsoleKeyInfo> _keys = new();
    private readonly List<string> _writes = [];
    private Exception? _failure;
    private bool _waiting;
    private bool _closed;

    public event EventHandler? Resized;

    public int Width { get; set; } = 80;

    public bool KeyAvailable
    {
        get
        {
            lock (_sync)
            {
                return _keys.Count > 0;
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
            lock (_sync)
            {
                return string.Concat(_writes);
            }
        }
    }

    /// <summary>How many Write calls so far; pass to <see cref="WritesSince"/>.</summary>
    public int WriteCount
    {
        get
        {
            lock (_sync)
            {
                return _writes.Count;
            }
        }
    }

    public IReadOnlyList<string> WritesSince(int mark)
    {
        lock (_sync)
        {
            return _writes.GetRange(mark, _writes.Count - mark);
        }
    }

    public ConsoleKeyInfo ReadKey()
    {
        lock (_sync)
        {
            ReadOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            while (_keys.Count == 0 && _failure is null && !_closed)
            {
                _waiting = true;
                Monitor.PulseAll(_sync);
                Monitor.Wait(_sync);
            }

            _waiting = false;
            if (_failure is not null)
            {
                throw _failure;
            }

            ObjectDisposedException.ThrowIf(_closed, this);
            return _keys.Dequeue();
        }
    }

    public void Write(string text)
    {
        lock (_sync)
        {
            _writes.Add(text);
        }
    }

    public void Feed(params ConsoleKeyInfo[] fed)
    {
        lock (_sync)
        {
            foreach (ConsoleKeyInfo key in fed)
            {
                _keys.Enqueue(key);
            }

            _waiting = false;
            Monitor.PulseAll(_sync);
        }
    }

    public void Feed(string text) => Feed(TestKeys.Text(text));

    /// <summary>Makes the blocked (or next) ReadKey throw.</summary>
    public void Fail(Exception exception)
    {
        lock (_sync)
        {
            _failure = exception;
            Monitor.PulseAll(_sync);
        }
    }

    public void RaiseResized() => Resized?.Invoke(this, EventArgs.Empty);

    public void WaitUntilIdle()
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        lock (_sync)
        {
            while (!(_waiting && _keys.Count == 0))
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_sync, left))
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
        lock (_sync)
        {
            _closed = true;
            Monitor.PulseAll(_sync);
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
