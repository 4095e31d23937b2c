using System.Globalization;
using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

/// <summary>
/// Just enough of a VT100 to check what the editor's output looks like: printable text (wide
/// characters take two cells), CR, LF, and the sequences the editor uses (CSI K, CSI n G, CSI H,
/// CSI 2 J). Anything else fails the test. Rows are unbounded: the screen never scrolls away.
/// </summary>
internal sealed class VirtualTerminal(int width)
{
    private readonly List<string?[]> _rows = [new string?[width]];

    public int Row { get; private set; }

    public int Column { get; private set; }

    /// <summary>Whether any text reached the last column (where a terminal would soon wrap).</summary>
    public bool ReachedLastColumn { get; private set; }

    /// <summary>Whether the terminal had to wrap text onto the next row.</summary>
    public bool Wrapped { get; private set; }

    /// <summary>Each row's text, trailing blanks trimmed.</summary>
    public IReadOnlyList<string> Lines => [.. _rows.Select(row => RowText(row, 0))];

    /// <summary>The text from the cursor to the end of its row.</summary>
    public string TextAtCursor => RowText(_rows[Row], Math.Min(Column, width));

    public void Feed(string output)
    {
        int i = 0;
        while (i < output.Length)
        {
            char c = output[i];
            if (c == '\r')
            {
                Column = 0;
                i++;
            }
            else if (c == '\n')
            {
                LineFeed();
                i++;
            }
            else if (c == '\u001b')
            {
                i = ControlSequence(output, i);
            }
            else
            {
                Assert.False(char.IsControl(c), $"Unexpected control character U+{(int)c:X4} in the output.");
                int length = StringInfo.GetNextTextElementLength(output, i);
                Print(output.Substring(i, length));
                i += length;
            }
        }
    }

    private void Print(string cluster)
    {
        int cells = DisplayWidth.OfCluster(cluster);
        if (Column + cells > width)
        {
            Wrapped = true;
            Column = 0;
            LineFeed();
        }

        if (cells == 0)
        {
            return;
        }

        string?[] row = _rows[Row];
        row[Column] = cluster;
        for (int k = 1; k < cells; k++)
        {
            row[Column + k] = "";
        }

        Column += cells; // Column == width: a wrap is pending, as on a VT100
        ReachedLastColumn |= Column == width;
    }

    private void LineFeed()
    {
        Row++;
        if (Row == _rows.Count)
        {
            _rows.Add(new string?[width]);
        }
    }

    private int ControlSequence(string output, int start)
    {
        Assert.True(start + 1 < output.Length && output[start + 1] == '[', "Only CSI sequences are expected.");
        int i = start + 2;
        while (i < output.Length && (char.IsAsciiDigit(output[i]) || output[i] == ';'))
        {
            i++;
        }

        Assert.True(i < output.Length, "Truncated control sequence.");
        string parameter = output[(start + 2)..i];
        int n = parameter.Length == 0 ? 0 : int.Parse(parameter, CultureInfo.InvariantCulture);
        switch (output[i])
        {
            case 'K':
                Assert.Equal(0, n);
                Array.Fill(_rows[Row], null, Column, width - Column);
                break;
            case 'G':
                Column = Math.Clamp(n - 1, 0, width - 1);
                break;
            case 'H':
                Assert.Equal("", parameter);
                Row = 0;
                Column = 0;
                break;
            case 'J' when n == 0:
                // Erase from the cursor to the end of the screen.
                Array.Fill(_rows[Row], null, Column, width - Column);
                _rows.RemoveRange(Row + 1, _rows.Count - Row - 1);
                break;
            case 'J':
                Assert.Equal(2, n);
                _rows.Clear();
                _rows.Add(new string?[width]);
                Row = 0;
                break;
            case 'A':
                Row = Math.Max(0, Row - Math.Max(1, n));
                break;
            default:
                Assert.Fail($"Unexpected control sequence ESC [{parameter}{output[i]}.");
                break;
        }

        return i + 1;
    }

    private static string RowText(string?[] row, int from) =>
        string.Concat(row.Skip(from).Select(cell => cell ?? " ")).TrimEnd(' ');
}
