using System.Globalization;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// Cuts one line of output into terminal rows by display width (<see cref="DisplayWidth"/>), with a
/// hanging indent: every row after the first starts with spaces. We wrap rather than let the
/// terminal do it, because a terminal's wrap puts the rest of a long peer message at column 0, where
/// it can pass for a line of our own ("[12:00:00] you: …", "⇣ File 1 saved as …").
/// CSI escape sequences (our colours) take no columns and are never cut; the text is otherwise
/// expected to be sanitised already (no control characters).
/// </summary>
internal static class HangingWrap
{
    /// <summary>
    /// The rows <paramref name="line"/> takes on a terminal of <paramref name="columns"/> usable
    /// columns. The indent is capped at half the row so that every row carries some text; it is at
    /// least 1, so a continuation row never starts at column 0. A cluster wider than what is left of
    /// a row moves whole to the next one.
    /// </summary>
    public static List<string> Rows(string line, int columns, int indent)
    {
        ArgumentNullException.ThrowIfNull(line);
        columns = Math.Max(2, columns);
        indent = Math.Clamp(indent, 1, columns / 2);
        string padding = new(' ', indent);
        var rows = new List<string>();
        var row = new StringBuilder();
        int used = 0;
        bool hasText = false;
        int index = 0;
        while (index < line.Length)
        {
            int length = line[index] == '\u001b' ? EscapeLength(line, index) : StringInfo.GetNextTextElementLength(line, index);
            ReadOnlySpan<char> piece = line.AsSpan(index, length);
            int width = line[index] == '\u001b' ? 0 : DisplayWidth.OfCluster(piece);
            if (used + width > columns && hasText)
            {
                rows.Add(row.ToString());
                row.Clear().Append(padding);
                used = indent;
                hasText = false;
            }

            row.Append(piece);
            used += width;
            hasText |= width > 0;
            index += length;
        }

        rows.Add(row.ToString());
        return rows;
    }

    /// <summary>ESC '[' parameters and a final byte; a lone ESC counts as one character.</summary>
    private static int EscapeLength(string text, int start)
    {
        if (start + 1 >= text.Length || text[start + 1] != '[')
        {
            return 1;
        }

        int i = start + 2;
        while (i < text.Length && text[i] is >= '\u0020' and <= '\u003F')
        {
            i++;
        }

        return Math.Min(i + 1, text.Length) - start;
    }
}
