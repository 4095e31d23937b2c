using SecureChat.Cli.Output;

namespace SecureChat.Cli.Commands;

/// <summary>
/// The back-off of a passphrase listener (docs/PROTOCOL.md §8): passphrase handshakes run one at a
/// time, and every failed attempt — a wrong passphrase, or a handshake the peer dropped after this
/// side's message 2 — doubles the pause before the next one may start, from 1 s up to 60 s. A
/// successful handshake resets it. Each attempt is one online guess, so this bounds how fast anyone
/// can guess: about one a minute once they have failed seven times.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The SemaphoreSlim's wait handle is never created (AvailableWaitHandle is not used), so it holds nothing to dispose; the back-off lives as long as the listener.")]
internal sealed class PskBackoff(IChatOutput output)
{
    /// <summary>The first pause after a failure.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _failures;
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    /// <summary>Consecutive failed attempts so far.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>The pause after <paramref name="failures"/> consecutive failures: 1 s, 2 s, 4 s, … 60 s.</summary>
    public static TimeSpan DelayAfter(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(MaxDelay.TotalSeconds, FirstDelay.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 16))));

    /// <summary>Waits for this handshake's turn: the previous one finished and its pause is over.</summary>
    public async Task<IDisposable> TakeTurnAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TimeSpan wait = _notBefore - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _turn.Release();
            throw;
        }

        return new Turn(_turn);
    }

    /// <summary>Records a failed attempt and says how long the listener now waits.</summary>
    public void Failed()
    {
        int failures = Interlocked.Increment(ref _failures);
        TimeSpan delay = DelayAfter(failures);
        _notBefore = DateTimeOffset.UtcNow + delay;
        output.Warning($"{failures} failed passphrase attempt{(failures == 1 ? "" : "s")} in a row: the next passphrase handshake waits {delay.TotalSeconds:0} s (doubling up to {MaxDelay.TotalSeconds:0} s; a success resets it).");
    }

    /// <summary>Records a successful handshake: the count starts again.</summary>
    public void Succeeded()
    {
        Interlocked.Exchange(ref _failures, 0);
        _notBefore = DateTimeOffset.MinValue;
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }
}
