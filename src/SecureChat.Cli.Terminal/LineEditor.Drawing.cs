using System.Globalization;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// The drawing half of <see cref="LineEditor"/>: printing above the input row, the status block,
/// redraws. Every write happens under the editor's lock.
/// </summary>
internal sealed partial class LineEditor
{
    /// <summary>Continuation rows of a wrapped line start with this many spaces unless the caller says otherwise.</summary>
    public const int DefaultHangingIndent = 4;

    /// <inheritdoc cref="WriteAbove(string, int)"/>
    public void WriteAbove(string text) => WriteAbove(text, DefaultHangingIndent);

    /// <summary>
    /// Prints <paramref name="text"/> above the line being edited: erases the input row, writes each
    /// '\n'-separated line of the text followed by "\r\n" (a trailing '\r' before '\n' is dropped),
    /// then redraws the prompt and the line with the cursor where it was. With no read pending it just
    /// writes the lines. A line wider than the terminal is wrapped here, never by the terminal, and its
    /// continuation rows start with <paramref name="hangingIndent"/> spaces (<see cref="HangingWrap"/>),
    /// so no part of it lands at column 0. Thread-safe; callable from any thread while a read is
    /// pending. The text is written raw: sanitize anything that came from the peer first.
    /// </summary>
    public void WriteAbove(string text, int hangingIndent)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (_gate)
        {
            bool reading = _pending is not null && !_disposed;
            var output = new StringBuilder(text.Length + 64);
            if (_statusDrawn > 0 || _status.Length > 0)
            {
                output.Append(MoveToStatusTop());
            }
            else if (reading)
            {
                output.Append(ClearRow);
            }

            // The last column stays empty, as for the status rows: terminals disagree about what a
            // write there does to the cursor.
            int columns = (_console.Width > 0 ? _console.Width : 80) - 1;
            foreach (string line in text.Split('\n'))
            {
                foreach (string row in HangingWrap.Rows(line.EndsWith('\r') ? line[..^1] : line, columns, hangingIndent))
                {
                    output.Append(row).Append("\r\n");
                }
            }

            output.Append(StatusBlock());
            if (reading)
            {
                output.Append(Render());
            }

            _console.Write(output.ToString());
        }
    }

    /// <summary>
    /// Sets the status lines shown between the messages and the input row (progress bars): each is
    /// cut to the terminal's width, so the block always takes exactly one row per line. Thread-safe.
    /// </summary>
    public void SetStatus(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            string top = MoveToStatusTop();
            _status = [.. lines.Select(EditBuffer.Sanitize)];
            _console.Write(top + StatusBlock() + (_pending is not null ? Render() : ""));
        }
    }

    /// <summary>From the input row to the first status row, clearing everything below: the block is redrawn after.</summary>
    private string MoveToStatusTop()
    {
        string up = _statusDrawn > 0 ? string.Create(CultureInfo.InvariantCulture, $"{Escape}[{_statusDrawn}A") : "";
        _statusDrawn = 0;
        return "\r" + up + Escape + "[J";
    }

    /// <summary>The status lines, each on its own row; leaves the cursor at the start of the input row.</summary>
    private string StatusBlock()
    {
        var block = new StringBuilder();
        int width = Math.Max(1, _console.Width - 1);
        foreach (string line in _status)
        {
            int used = 0;
            foreach (Rune rune in line.EnumerateRunes())
            {
                int w = DisplayWidth.Of(rune);
                if (used + w > width)
                {
                    break;
                }

                block.Append(rune.ToString());
                used += w;
            }

            block.Append(Escape + "[K\r\n");
        }

        _statusDrawn = _status.Length;
        return block.ToString();
    }

    /// <summary>Redraws the input row (after something else wrote to the terminal, say). Thread-safe.</summary>
    public void Redraw()
    {
        lock (_gate)
        {
            RedrawIfReading();
        }
    }
    private void OnResized(object? sender, EventArgs e)
    {
        lock (_gate)
        {
            if (_pending is not null && !_disposed)
            {
                TryWrite(Render());
            }
        }
    }

    /// <summary>Called under the lock.</summary>
    private void RedrawIfReading()
    {
        if (_pending is not null && !_disposed)
        {
            _console.Write(Render());
        }
    }

    /// <summary>The whole input row: prompt and visible part of the line, then the cursor placed. Called under the lock.</summary>
    private string Render()
    {
        LineLayout layout = LineView.Compute(_prompt, _state.Buffer, _console.Width, _scrollStart);
        _scrollStart = layout.Start;
        return string.Create(CultureInfo.InvariantCulture, $"\r{layout.Text}{Escape}[K{Escape}[{layout.CursorColumn + 1}G");
    }

    /// <summary>Writes where a failure must not stop the caller (cancellation callbacks, disposal, resize signals).</summary>
    private void TryWrite(string text)
    {
        try
        {
            _console.Write(text);
        }
        catch (IOException)
        {
            // The terminal is gone; there is nothing left to keep tidy.
        }
    }
}
