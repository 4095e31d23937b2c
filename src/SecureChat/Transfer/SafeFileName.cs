using System.Globalization;
using System.Text;

namespace SecureChat.Transfer;

/// <summary>
/// Turns a file name chosen by the peer into a plain file name that is safe to create in a download
/// directory on Linux, macOS and Windows, and to print: no directories, no "..", no control
/// characters or terminal escape sequences, no bidi or zero-width characters, no leading dot, dash
/// or space, no characters or device names Windows forbids, at most <see cref="MaxBytes"/> bytes.
/// </summary>
public static class SafeFileName
{
    /// <summary>The longest name produced, in UTF-8 bytes (most file systems allow 255).</summary>
    public const int MaxBytes = 200;

    private const int MaxExtensionChars = 16;
    private const string Fallback = "file";

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>The safe form of <paramref name="peerName"/>; never empty.</summary>
    public static string Reduce(string? peerName)
    {
        if (string.IsNullOrEmpty(peerName))
        {
            return Fallback;
        }

        string name = StripEscapes(peerName);
        int slash = name.LastIndexOfAny(['/', '\\']);
        name = slash >= 0 ? name[(slash + 1)..] : name;
        name = KeepPrintable(name);
        try
        {
            name = name.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            // Not normalisable (cannot happen after KeepPrintable, which drops lone surrogates).
        }

        name = name.TrimStart('.', '-', ' ', '\t').TrimEnd('.', ' ');
        name = name.Trim();
        if (name.Length == 0)
        {
            return Fallback;
        }

        (string stem, string extension) = Split(name);
        if (DeviceNames.Contains(stem.TrimEnd()))
        {
            stem = "_" + stem;
        }

        return Fit(stem, extension);
    }

    /// <summary>"name (n).ext": the n-th alternative when NAME exists, within <see cref="MaxBytes"/>.</summary>
    public static string Numbered(string safeName, int n)
    {
        ArgumentNullException.ThrowIfNull(safeName);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        (string stem, string extension) = Split(safeName);
        return Fit(stem, string.Create(CultureInfo.InvariantCulture, $" ({n}){extension}"));
    }

    /// <summary>Removes ANSI/VT sequences whole: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and ESC + one character.</summary>
    private static string StripEscapes(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('\u001b' or '\u009b' or '\u009d'))
            {
                result.Append(c);
                continue;
            }

            bool csi = c == '\u009b' || (i + 1 < text.Length && text[i + 1] == '[');
            bool osc = c == '\u009d' || (i + 1 < text.Length && text[i + 1] == ']');
            if (c == '\u001b' && i + 1 < text.Length)
            {
                i++; // the character after ESC
            }

            if (csi)
            {
                while (i + 1 < text.Length && text[i + 1] is < '\u0040' or > '\u007e')
                {
                    i++;
                }

                i++; // the final byte
            }
            else if (osc)
            {
                while (i + 1 < text.Length && text[i + 1] != '\u0007' && !(text[i + 1] == '\u001b' && i + 2 < text.Length && text[i + 2] == '\\'))
                {
                    i++;
                }

                i += i + 1 < text.Length && text[i + 1] == '\u001b' ? 2 : 1;
            }
        }

        return result.ToString();
    }

    /// <summary>Drops control, format (bidi, zero-width) and unassigned characters and lone surrogates; replaces what Windows forbids.</summary>
    private static string KeepPrintable(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var rune = new Rune(text[i], text[i + 1]);
                if (Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse))
                {
                    result.Append(text, i, 2);
                }

                i++;
                continue;
            }

            char c = text[i];
            if (char.IsSurrogate(c))
            {
                continue;
            }

            UnicodeCategory category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse)
            {
                continue;
            }

            result.Append(c is '<' or '>' or ':' or '"' or '|' or '?' or '*' ? '_' : c == '\u00a0' ? ' ' : c);
        }

        return result.ToString();
    }

    /// <summary>Stem and extension (with its dot) when the extension is short; else the whole name and "".</summary>
    private static (string Stem, string Extension) Split(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot > 0 && name.Length - dot <= MaxExtensionChars + 1 ? (name[..dot], name[dot..]) : (name, "");
    }

    /// <summary>stem + suffix within <see cref="MaxBytes"/>, cutting the stem at a character boundary.</summary>
    private static string Fit(string stem, string suffix)
    {
        int budget = MaxBytes - Encoding.UTF8.GetByteCount(suffix);
        var kept = new StringBuilder();
        int used = 0;
        foreach (Rune rune in stem.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > budget)
            {
                break;
            }

            kept.Append(rune.ToString());
            used += rune.Utf8SequenceLength;
        }

        string result = (kept.ToString().TrimEnd('.', ' ') + suffix).TrimEnd('.', ' ');
        return result.Length == 0 || result.StartsWith('.') ? Fallback + result.TrimStart('.') : result;
    }
}
