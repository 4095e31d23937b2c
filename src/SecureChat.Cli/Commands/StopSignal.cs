namespace SecureChat.Cli.Commands;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a cancellation token: the first one ends the chat politely
/// (CLOSE, keys erased). Whatever the process is doing — a peer that stopped reading, a flood of
/// pending work — it ends within <see cref="Deadline"/> of the signal: a watchdog then exits with
/// code 1. A second Ctrl+C or SIGTERM exits at once.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    /// <summary>How long a polite stop may take before the process exits anyway.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1.5);

    private readonly CancellationTokenSource _source;
    private readonly System.Runtime.InteropServices.PosixSignalRegistration? _term;
    private int _signals;
    private Timer? _watchdog;

    public StopSignal(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancel;
        if (!OperatingSystem.IsWindows())
        {
            _term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGTERM,
                context =>
                {
                    context.Cancel = true;
                    Stop();
                });
        }
    }

    public CancellationToken Token => _source.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Stop();
    }

    private void Stop()
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            ForceExit("stopped");
            return;
        }

        // The timer starts before the cancellation callbacks run, so no callback can delay it.
        _watchdog = new Timer(_ => ForceExit($"did not stop within {Deadline.TotalSeconds:0.#} s"), null, Deadline, Timeout.InfiniteTimeSpan);
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already done.
        }
    }

    private static void ForceExit(string why)
    {
        // stderr may be a pipe nobody reads: the notice gets a moment, never the power to block the exit.
        Task.Run(() =>
        {
            try
            {
                Console.Error.WriteLine($"securechat: {why}; exiting now.");
            }
            catch (IOException)
            {
                // stderr is gone; exit anyway.
            }
        }).Wait(TimeSpan.FromMilliseconds(100));
        Environment.Exit(ExitCodes.Other);
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _term?.Dispose();
        _source.Dispose();
    }
}
