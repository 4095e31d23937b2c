using System.Text;

namespace SecureChat.Cli.Output;

/// <summary>
/// Makes peer-supplied text safe to print on a terminal: no control character or escape sequence
/// ever reaches the terminal raw. C0 controls become their visible Unicode "control pictures"
/// (ESC → ␛, BEL → ␇), DEL becomes ␡, C1 controls and bidirectional overrides (which can make text
/// read differently from what it is) become U+FFFD. Line breaks are kept as '\n' when allowed, so
/// a multi-line message stays readable.
/// </summary>
internal static class TerminalText
{
    public static string Sanitize(string? text, bool allowNewlines = false)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n' && allowNewlines)
            {
                result.Append('\n');
            }
            else if (c == '\r' && allowNewlines && i + 1 < text.Length && text[i + 1] == '\n')
            {
                // "\r\n" is one line break.
            }
            else if (c == '\t')
            {
                result.Append("    ");
            }
            else if (c < 0x20)
            {
                result.Append((char)(0x2400 + c));
            }
            else if (c == 0x7F)
            {
                result.Append('\u2421');
            }
            else if (c is >= '\u0080' and <= '\u009F' || IsBidiControl(c) || c is '\u2028' or '\u2029')
            {
                result.Append('\uFFFD');
            }
            else if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])))
            {
                // A lone surrogate cannot be printed; a valid pair is copied whole below.
                if (!(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1])))
                {
                    result.Append('\uFFFD');
                }
                else
                {
                    result.Append(c);
                }
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';
}
