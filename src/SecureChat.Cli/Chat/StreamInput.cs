using System.Threading.Channels;

namespace SecureChat.Cli.Chat;

/// <summary>
/// Lines from a non-terminal stdin (a pipe or a file): one line is one message. A dedicated
/// thread reads ahead into a channel, so a pending read can be abandoned when the chat ends.
/// </summary>
internal sealed class StreamInput : IChatInput
{
    private readonly Channel<InputLine> _lines = Channel.CreateBounded<InputLine>(16);

    public StreamInput(TextReader reader)
    {
        var thread = new Thread(() => Pump(reader)) { IsBackground = true, Name = "stdin reader" };
        thread.Start();
    }

    private void Pump(TextReader reader)
    {
        try
        {
            while (reader.ReadLine() is { } line)
            {
                // Blocks this dedicated thread while the chat is behind (backpressure on stdin).
                _lines.Writer.WriteAsync(new InputLine(InputKind.Line, line)).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (IOException)
        {
            // stdin broke: treat it as its end.
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    public async Task<InputLine> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _lines.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return InputLine.End;
        }
    }

    /// <summary>A pipe has no history to recall.</summary>
    public void ForgetHistory()
    {
    }

    public void Dispose()
    {
    }
}
