using System.Globalization;
using System.Text;

namespace SecureChat.Compat;

/// <summary>
/// Writes JSON exactly as Python's json.dumps does with its defaults: separators ", " and ": ",
/// ensure_ascii=True (every non-ASCII character as \uXXXX in lower-case hex, characters beyond
/// U+FFFF as a surrogate pair), and the short escapes \" \\ \n \r \t \b \f. The seed-aes program
/// sends such text, so a peer that wants to look identical on the wire writes it the same way.
/// </summary>
internal static class PythonJson
{
    /// <summary>A JSON string literal, quotes included. <paramref name="escapeTilde"/> also writes '~' as \u007e.</summary>
    public static void AppendString(StringBuilder output, string value, bool escapeTilde = false)
    {
        output.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                case '~' when escapeTilde:
                    output.Append("\\u007e");
                    break;
                default:
                    if (c < 0x20 || c > 0x7E)
                    {
                        // UTF-16 code units: a character beyond U+FFFF is already a surrogate pair here.
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}
