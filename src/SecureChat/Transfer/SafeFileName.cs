using System.Globalization;
using System.Text;

namespace SecureChat.Transfer;

/// <summary>
/// Turns a file name chosen by the peer into a plain file name that is safe to create in a download
/// directory on Linux, macOS and Windows, and to print on a terminal.
/// </summary>
/// <remarks>
/// The result is never empty, "." or ".."; it has no directory part, no terminal escape sequence,
/// no control, bidi, zero-width or other format character, no lone surrogate, none of the characters
/// Windows forbids (<c>&lt;&gt;:"|?*</c>), no leading dot, dash or white space (no hidden files, no
/// names a command line reads as options), no trailing dot or white space (Windows drops them), and
/// it is not a Windows device name. It is in Unicode normalisation form C and at most
/// <see cref="MaxBytes"/> bytes of UTF-8. Reducing a result again gives it back unchanged.
/// </remarks>
public static class SafeFileName
{
    /// <summary>The longest name produced, in UTF-8 bytes: most file systems allow 255, and this leaves room for ".part" and " (n)".</summary>
    public const int MaxBytes = 200;

    /// <summary>An extension longer than this (without its dot) is treated as part of the name when shortening.</summary>
    private const int MaxExtensionChars = 16;

    /// <summary>The name used when nothing of the peer's is left.</summary>
    private const string Fallback = "file";

    private const char Escape = '\u001b';
    private const char Bell = '\u0007';
    private const char StringTerminator = '\u009c';

    /// <summary>
    /// Names Windows opens as devices whatever the extension ("CON.txt", "nul.tar.gz"); the superscript
    /// digits count as digits there too.
    /// </summary>
    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00b9", "COM\u00b2", "COM\u00b3",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00b9", "LPT\u00b2", "LPT\u00b3",
    };

    /// <summary>The safe form of <paramref name="peerName"/>; "file" when nothing usable is left.</summary>
    /// <param name="peerName">A name as the peer sent it; null and empty are allowed.</param>
    public static string Reduce(string? peerName)
    {
        if (string.IsNullOrEmpty(peerName))
        {
            return Fallback;
        }

        // Escape sequences go first, whole: an OSC ends with ESC '\', which is also a path separator,
        // and whatever a sequence carries (a title, a URL with slashes) is not part of the name.
        string name = RemoveEscapeSequences(peerName);
        name = LastPathComponent(name);

        // Normalising needs well-formed UTF-16, so lone surrogates (and the rest) go before; filtering
        // again afterwards keeps the guarantees whatever the normalisation tables map to.
        name = KeepPrintable(name).Normalize(NormalizationForm.FormC);
        name = TrimEnds(KeepPrintable(name));
        if (name.Length == 0)
        {
            return Fallback;
        }

        (string stem, string extension) = Split(name);
        string result = Fit(stem, extension);

        // Checked after shortening, which could have cut "CON      …x.txt" down to "CON.txt".
        return IsDeviceName(result) ? Fit("_" + stem, extension) : result;
    }

    /// <summary>
    /// The <paramref name="n"/>-th alternative to a name that already exists: "report.pdf", 2 →
    /// "report (2).pdf"; "README", 2 → "README (2)". The stem is shortened to stay within <see cref="MaxBytes"/>.
    /// </summary>
    /// <param name="safeName">A result of <see cref="Reduce"/> (anything else is reduced first).</param>
    /// <param name="n">The number, 1 or more.</param>
    /// <exception cref="ArgumentNullException"><paramref name="safeName"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public static string Numbered(string safeName, int n)
    {
        ArgumentNullException.ThrowIfNull(safeName);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        (string stem, string extension) = Split(Reduce(safeName));

        // " (n)" after the stem: never a device name, never a leading dot, dash or space.
        return Fit(stem, string.Create(CultureInfo.InvariantCulture, $" ({n}){extension}"));
    }

    /// <summary>
    /// Removes ANSI/VT sequences whole, in their 7-bit and C1 forms: CSI (ESC [ … final byte
    /// 0x40–0x7E), OSC, DCS, SOS, PM and APC (ESC ] P X ^ _ … BEL, ST or ESC \), and ESC followed by
    /// one character. An unterminated sequence runs to the end of the text, as it would on a terminal.
    /// </summary>
    private static string RemoveEscapeSequences(string text)
    {
        if (!text.Contains(Escape, StringComparison.Ordinal) && text.AsSpan().IndexOfAnyInRange('\u0090', '\u009f') < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            char introducer = c == Escape && i + 1 < text.Length ? text[i + 1] : '\0';
            int skip = c == Escape ? 2 : 1;
            if (c == '\u009b' || (c == Escape && introducer == '['))
            {
                i = SkipControlSequence(text, i + skip);
            }
            else if (c is '\u0090' or '\u0098' or '\u009d' or '\u009e' or '\u009f'
                || (c == Escape && introducer is ']' or 'P' or 'X' or '^' or '_'))
            {
                i = SkipControlString(text, i + skip);
            }
            else if (c == Escape)
            {
                // ESC and one character; a surrogate pair is one character.
                i += i + 2 < text.Length && char.IsSurrogatePair(text[i + 1], text[i + 2]) ? 3 : 2;
            }
            else
            {
                result.Append(c);
                i++;
            }
        }

        return result.ToString();
    }

    /// <summary>The index after a CSI's final byte: parameters and intermediates are 0x20–0x3F, but anything until the final byte goes.</summary>
    private static int SkipControlSequence(string text, int start)
    {
        for (int i = start; i < text.Length; i++)
        {
            if (text[i] is >= '\u0040' and <= '\u007e')
            {
                return i + 1;
            }
        }

        return text.Length;
    }

    /// <summary>The index after the BEL, ST or ESC \ that ends an OSC (or DCS, SOS, PM, APC).</summary>
    private static int SkipControlString(string text, int start)
    {
        for (int i = start; i < text.Length; i++)
        {
            if (text[i] is Bell or StringTerminator)
            {
                return i + 1;
            }

            if (text[i] == Escape && i + 1 < text.Length && text[i + 1] == '\\')
            {
                return i + 2;
            }
        }

        return text.Length;
    }

    /// <summary>What follows the last '/' or '\' (Windows accepts both).</summary>
    private static string LastPathComponent(string path)
    {
        int separator = path.AsSpan().LastIndexOfAny('/', '\\');
        return separator >= 0 ? path[(separator + 1)..] : path;
    }

    /// <summary>
    /// Drops lone surrogates and every character of these categories: control (C0, DEL, C1), format
    /// (bidi controls such as U+202E, zero-width characters, U+FEFF, tags), line and paragraph
    /// separators, private use and unassigned (they could print as anything). Replaces with '_' the
    /// characters Windows forbids, and path separators should any appear.
    /// </summary>
    private static string KeepPrintable(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]))))
                {
                    result.Append(c).Append(text[i + 1]);
                }

                i++;
            }
            else if (!char.IsSurrogate(c) && IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c)))
            {
                result.Append(c is '<' or '>' or ':' or '"' or '|' or '?' or '*' or '/' or '\\' ? '_' : c);
            }
        }

        return result.ToString();
    }

    private static bool IsPrintable(UnicodeCategory category) => category is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned);

    /// <summary>No leading dot, dash or white space; no trailing dot or white space.</summary>
    private static string TrimEnds(string name)
    {
        int start = 0;
        while (start < name.Length && (name[start] is '.' or '-' || char.IsWhiteSpace(name[start])))
        {
            start++;
        }

        int end = name.Length;
        while (end > start && (name[end - 1] == '.' || char.IsWhiteSpace(name[end - 1])))
        {
            end--;
        }

        return name[start..end];
    }

    /// <summary>The stem and the extension with its dot, when the extension is short; otherwise the whole name and "".</summary>
    private static (string Stem, string Extension) Split(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot > 0 && name.Length - dot - 1 <= MaxExtensionChars ? (name[..dot], name[dot..]) : (name, "");
    }

    /// <summary>Windows checks the part before the first dot, ignoring trailing spaces.</summary>
    private static bool IsDeviceName(string name)
    {
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        return DeviceNames.Contains((dot >= 0 ? name[..dot] : name).TrimEnd(' '));
    }

    /// <summary>
    /// <paramref name="stem"/> + <paramref name="suffix"/> within <see cref="MaxBytes"/>, shortening the
    /// stem at a character boundary (never inside a surrogate pair, so never inside a UTF-8 sequence).
    /// The stem starts with a safe character and the suffix is an extension or " (n).ext".
    /// </summary>
    private static string Fit(string stem, string suffix)
    {
        int budget = MaxBytes - Encoding.UTF8.GetByteCount(suffix);
        int used = 0;
        int length = 0;
        foreach (Rune rune in stem.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > budget)
            {
                break;
            }

            used += rune.Utf8SequenceLength;
            length += rune.Utf16SequenceLength;
        }

        // A shortened stem can end in spaces or dots; without an extension they would end the name.
        string kept = length < stem.Length ? TrimEnds(stem[..length]) : stem;
        string result = TrimEnds((kept.Length > 0 ? kept : Fallback) + suffix);
        return result.Length > 0 ? result : Fallback;
    }
}
