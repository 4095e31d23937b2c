using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;

namespace SecureChat.Cli.Commands;

/// <summary>
/// The listener's input while it waits for a peer. A line typed while no handshake is in progress
/// has nobody to go to and is dropped with a warning. A line typed while handshakes are in progress
/// waits for them: it is the first thing the chat reads if one of them gets the chat, and is
/// dropped with a warning once the last of them has failed. (A script that types as soon as its
/// peer is connected must not lose its line to the handshake's last milliseconds.)
/// </summary>
internal sealed class WaitingInput(IChatInput inner, IChatOutput output) : IChatInput
{
    private readonly Lock _lock = new();
    private readonly Queue<InputLine> _held = new();
    private int _handshakes;
    private bool _chatStarting;

    /// <summary>What the user types, without the held lines (for the wait itself).</summary>
    public IChatInput Typed => inner;

    /// <summary>A new wait for a peer begins.</summary>
    public void BeginWait()
    {
        lock (_lock)
        {
            _chatStarting = false;
        }
    }

    public void HandshakeStarted()
    {
        lock (_lock)
        {
            _handshakes++;
        }
    }

    /// <summary>A handshake ended; <paramref name="won"/> when it got the chat (the held lines are then kept for it).</summary>
    public void HandshakeEnded(bool won)
    {
        lock (_lock)
        {
            _handshakes--;
            _chatStarting |= won;
            if (_handshakes == 0 && !_chatStarting && _held.Count > 0)
            {
                output.Warning($"no peer is connected: {(_held.Count == 1 ? "a line typed during the handshake was" : $"{_held.Count} lines typed during the handshake were")} not sent.");
                _held.Clear();
            }
        }
    }

    /// <summary>A line typed while waiting: held while a handshake is in progress, otherwise dropped with a warning.</summary>
    public void Hold(InputLine line)
    {
        lock (_lock)
        {
            if (_handshakes > 0 || _chatStarting)
            {
                _held.Enqueue(line);
                return;
            }
        }

        if (line.Text.Trim().Length > 0)
        {
            output.Warning("no peer is connected yet: that line was not sent.");
        }
    }

    public Task<InputLine> ReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_held.TryDequeue(out InputLine line))
            {
                return Task.FromResult(line);
            }
        }

        return inner.ReadAsync(cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}
