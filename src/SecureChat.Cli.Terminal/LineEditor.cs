using System.Runtime.ExceptionServices;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// An interactive line editor that keeps the line being typed on the bottom row of the terminal
/// while other threads print messages above it (<see cref="WriteAbove"/>), so incoming messages never
/// garble what is being typed. Key bindings are listed on <see cref="LineEditState"/>.
/// </summary>
/// <remarks>
/// <para>The input always occupies exactly one row: a line longer than the terminal is scrolled
/// horizontally (<see cref="LineView"/>), so redrawing is always "carriage return, draw, clear to the
/// end of the row, put the cursor back". Every console write happens under one lock, so output from
/// <see cref="WriteAbove"/>, redraws after keys and <see cref="Prompt"/> changes never interleave.</para>
/// <para>Keys are read by one dedicated background thread, started by the first read, that only reads
/// while a <see cref="ReadLineAsync"/> is pending. Cancelling a read completes its task at once, but
/// the thread may still be blocked in the console's ReadKey, which cannot be interrupted: the next key
/// pressed is then kept and replayed into the next read (type-ahead), or dropped if the editor was
/// disposed. So while the editor is alive, and until a key is pressed after a cancellation or
/// <see cref="Dispose"/>, do not read the console by other means (Console.ReadKey/ReadLine).</para>
/// <para>Submitted, interrupted and ended lines are erased from the screen: print what was sent with
/// <see cref="WriteAbove"/> if it should stay visible.</para>
/// </remarks>
internal sealed partial class LineEditor : IDisposable
{
    private const string Escape = "\u001b";
    private const string ClearRow = "\r" + Escape + "[K";
    private const string ClearScreenSequence = Escape + "[H" + Escape + "[2J";
    private const int MaxTypeAhead = 64;

    private readonly IConsoleDriver _console;
    private readonly object _gate = new();
    private readonly LineEditState _state = new(new History());
    private readonly Queue<ConsoleKeyInfo> _typeAhead = new();
    private string _prompt;
    private TaskCompletionSource<LineResult>? _pending;
    private CancellationTokenRegistration _cancellation;
    private Thread? _reader;
    private ExceptionDispatchInfo? _readerFault;
    private int _scrollStart;
    private bool _disposed;
    private string[] _status = [];
    private int _statusDrawn;

    /// <param name="console">The console; not disposed by the editor.</param>
    /// <param name="prompt">Plain text shown before the line; control characters (so also colours) are removed.</param>
    public LineEditor(IConsoleDriver console, string prompt)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(prompt);
        _console = console;
        _prompt = EditBuffer.Sanitize(prompt);
        console.Resized += OnResized;
    }

    /// <summary>The prompt; setting it while a line is being read redraws the row. Thread-safe.</summary>
    public string Prompt
    {
        get
        {
            lock (_gate)
            {
                return _prompt;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                _prompt = EditBuffer.Sanitize(value);
                RedrawIfReading();
            }
        }
    }

    /// <summary>Whether a <see cref="ReadLineAsync"/> is pending. Thread-safe.</summary>
    public bool IsReading
    {
        get
        {
            lock (_gate)
            {
                return _pending is not null;
            }
        }
    }

    /// <summary>
    /// Shows the prompt and lets the user edit a line. Completes with the line on Enter (non-empty
    /// lines also go into the history), with <see cref="LineResult.EndOfInput"/> on Ctrl+D on an empty
    /// line, with <see cref="LineResult.Interrupt"/> on Ctrl+C; in every case the row is erased. Only
    /// one read may be pending at a time. Cancelling <paramref name="cancellationToken"/> erases the
    /// row and cancels the task at once (see the remarks on <see cref="LineEditor"/> about the key
    /// being waited for). If reading the console fails (for instance stdin is not a terminal), the task
    /// faults with that exception, and so does every later read.
    /// </summary>
    /// <exception cref="InvalidOperationException">A read is already pending.</exception>
    public Task<LineResult> ReadLineAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pending is not null)
            {
                throw new InvalidOperationException("A line is already being read.");
            }

            if (_readerFault is not null)
            {
                return Task.FromException<LineResult>(_readerFault.SourceException);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<LineResult>(cancellationToken);
            }

            _state.Reset();
            _scrollStart = 0;
            _console.Write(_statusDrawn == _status.Length ? Render() : MoveToStatusTop() + StatusBlock() + Render());
            var completion = new TaskCompletionSource<LineResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = completion;

            while (_pending == completion && _typeAhead.TryDequeue(out ConsoleKeyInfo key))
            {
                Process(key, moreInputPending: _typeAhead.Count > 0);
            }

            if (_pending == completion && cancellationToken.CanBeCanceled)
            {
                // If the token is cancelled meanwhile, the callback runs right here (the lock is re-entrant).
                _cancellation = cancellationToken.UnsafeRegister((target, token) => Cancel((TaskCompletionSource<LineResult>)target!, token), completion);
            }

            if (_pending == completion)
            {
                _reader ??= StartReader();
                Monitor.PulseAll(_gate);
            }
            else
            {
                _cancellation = default; // completed by type-ahead or cancelled while registering
            }

            return completion.Task;
        }
    }

    /// <summary>Forgets every history entry. Thread-safe.</summary>
    public void ClearHistory()
    {
        lock (_gate)
        {
            _state.History.Clear();
        }
    }

    /// <summary>
    /// Cancels a pending read (its task is cancelled) and erases the input row. Does not dispose the
    /// console driver; dispose that afterwards to restore the terminal.
    /// </summary>
    public void Dispose()
    {
        TaskCompletionSource<LineResult>? completion;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _console.Resized -= OnResized;
            completion = _pending;
            _pending = null;
            _cancellation.Unregister();
            _state.Reset();
            _state.History.Clear();
            _typeAhead.Clear();
            Monitor.PulseAll(_gate);
            if (_statusDrawn > 0)
            {
                TryWrite(MoveToStatusTop());
            }
            else if (completion is not null)
            {
                TryWrite(ClearRow);
            }
        }

        completion?.TrySetCanceled();
    }

    private Thread StartReader()
    {
        var thread = new Thread(ReadKeys)
        {
            IsBackground = true,
            Name = "Console input",
        };
        thread.Start();
        return thread;
    }

    /// <summary>The reader thread: reads keys while a read is pending and applies them under the lock.</summary>
    private void ReadKeys()
    {
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    while (!_disposed && _pending is null)
                    {
                        Monitor.Wait(_gate);
                    }

                    if (_disposed)
                    {
                        return;
                    }
                }

                ConsoleKeyInfo key = _console.ReadKey();
                bool moreInputPending = _console.KeyAvailable;
                lock (_gate)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    if (_pending is null)
                    {
                        // The read this key was meant for was cancelled: keep it for the next one.
                        if (_typeAhead.Count < MaxTypeAhead)
                        {
                            _typeAhead.Enqueue(key);
                        }
                    }
                    else
                    {
                        Process(key, moreInputPending);
                    }
                }
            }
        }
        catch (Exception e)
        {
            // Whatever the console throws must reach the awaiting reader rather than crash the process.
            Fault(e);
        }
    }

    /// <summary>Applies one key to the pending read. Called under the lock.</summary>
    private void Process(ConsoleKeyInfo key, bool moreInputPending)
    {
        switch (_state.Handle(key, moreInputPending))
        {
            case EditOutcome.Changed:
                _console.Write(Render());
                break;
            case EditOutcome.ClearScreen:
                _statusDrawn = 0;
                _console.Write(ClearScreenSequence + StatusBlock() + Render());
                break;
            case EditOutcome.Submitted:
                Complete(LineResult.Line(_state.Buffer.Text));
                break;
            case EditOutcome.EndOfInput:
                Complete(LineResult.EndOfInput);
                break;
            case EditOutcome.Interrupted:
                Complete(LineResult.Interrupt);
                break;
            default:
                break;
        }
    }

    /// <summary>Ends the pending read with <paramref name="result"/> and erases the row. Called under the lock.</summary>
    private void Complete(LineResult result)
    {
        TaskCompletionSource<LineResult> completion = _pending!;
        _pending = null;
        _cancellation.Unregister();
        _cancellation = default;
        _state.Reset();
        try
        {
            _console.Write(ClearRow);
        }
        finally
        {
            completion.TrySetResult(result);
        }
    }

    private void Cancel(TaskCompletionSource<LineResult> completion, CancellationToken token)
    {
        lock (_gate)
        {
            if (_pending != completion)
            {
                return;
            }

            _pending = null;
            _cancellation = default;
            _state.Reset();
            TryWrite(ClearRow);
        }

        completion.TrySetCanceled(token);
    }

    private void Fault(Exception exception)
    {
        TaskCompletionSource<LineResult>? completion;
        lock (_gate)
        {
            _readerFault = ExceptionDispatchInfo.Capture(exception);
            completion = _pending;
            _pending = null;
            _cancellation.Unregister();
            _cancellation = default;
            _state.Reset();
        }

        completion?.TrySetException(exception);
    }

}
