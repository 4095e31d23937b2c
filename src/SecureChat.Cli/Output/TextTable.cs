using System.Text;
using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Output;

/// <summary>
/// A table for a colour terminal: a bold header, an ASCII rule under each column (any console encoding shows it), cells padded to the widest
/// one by display width (so wide characters line up), two spaces between columns, no padding after
/// the last. Cells must already be free of control characters (<see cref="TerminalText.Sanitize"/>).
/// </summary>
internal static class TextTable
{
    private const string Gap = "  ";

    public static void Write(TextWriter writer, string[] headers, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        int[] widths = headers.Select(DisplayWidth.Of).ToArray();
        foreach (string[] row in rows)
        {
            for (int column = 0; column < widths.Length; column++)
            {
                widths[column] = Math.Max(widths[column], DisplayWidth.Of(row[column]));
            }
        }

        writer.WriteLine("\u001b[1m" + Line(headers, widths) + "\u001b[0m");
        writer.WriteLine(Line(widths.Select(width => new string('-', width)).ToArray(), widths));
        foreach (string[] row in rows)
        {
            writer.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int column = 0; column < widths.Length; column++)
        {
            line.Append(cells[column]);
            if (column < widths.Length - 1)
            {
                line.Append(' ', widths[column] - DisplayWidth.Of(cells[column])).Append(Gap);
            }
        }

        return line.ToString();
    }
}
