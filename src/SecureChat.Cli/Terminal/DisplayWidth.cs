using System.Globalization;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// How many terminal columns text occupies, in the way wcwidth-based terminals (xterm, VTE, Konsole,
/// Windows Terminal) count them: East Asian Wide and Fullwidth characters and emoji with emoji
/// presentation take 2 columns, combining marks and format characters 0, everything else 1.
/// A grapheme cluster (what the cursor steps over) is the sum of its code points, except that an
/// emoji variation selector (U+FE0F) makes a 1-column base 2 wide. Terminals disagree about some
/// emoji sequences; where they do, this errs on the wide side, so a line never overflows its row.
/// </summary>
internal static class DisplayWidth
{
    /// <summary>Sorted, non-overlapping inclusive ranges of code points that take 2 columns.</summary>
    private static readonly (int First, int Last)[] Wide =
    [
        (0x1100, 0x115F), (0x231A, 0x231B), (0x2329, 0x232A), (0x23E9, 0x23EC), (0x23F0, 0x23F0),
        (0x23F3, 0x23F3), (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F),
        (0x2693, 0x2693), (0x26A1, 0x26A1), (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5),
        (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5),
        (0x26FA, 0x26FA), (0x26FD, 0x26FD), (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728),
        (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
        (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
        (0x2E80, 0x303E), (0x3041, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0xA4CF), (0xA960, 0xA97F),
        (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE10, 0xFE19), (0xFE30, 0xFE6F), (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6), (0x16FE0, 0x16FE4), (0x16FF0, 0x16FF1), (0x17000, 0x18CFF), (0x18D00, 0x18D08),
        (0x1AFF0, 0x1B2FF), (0x1F004, 0x1F004), (0x1F0CF, 0x1F0CF), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A),
        (0x1F200, 0x1F202), (0x1F210, 0x1F23B), (0x1F240, 0x1F248), (0x1F250, 0x1F251), (0x1F260, 0x1F265),
        (0x1F300, 0x1F320), (0x1F32D, 0x1F335), (0x1F337, 0x1F37C), (0x1F37E, 0x1F393), (0x1F3A0, 0x1F3CA),
        (0x1F3CF, 0x1F3D3), (0x1F3E0, 0x1F3F0), (0x1F3F4, 0x1F3F4), (0x1F3F8, 0x1F43E), (0x1F440, 0x1F440),
        (0x1F442, 0x1F4FC), (0x1F4FF, 0x1F53D), (0x1F54B, 0x1F54E), (0x1F550, 0x1F567), (0x1F57A, 0x1F57A),
        (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A4), (0x1F5FB, 0x1F64F), (0x1F680, 0x1F6C5), (0x1F6CC, 0x1F6CC),
        (0x1F6D0, 0x1F6D2), (0x1F6D5, 0x1F6D7), (0x1F6DC, 0x1F6DF), (0x1F6EB, 0x1F6EC), (0x1F6F4, 0x1F6FC),
        (0x1F7E0, 0x1F7EB), (0x1F7F0, 0x1F7F0), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1F9FF),
        (0x1FA70, 0x1FAFF), (0x20000, 0x2FFFD), (0x30000, 0x3FFFD),
    ];

    /// <summary>Columns taken by one code point: 0, 1 or 2. Control characters count 0 (they are never displayed).</summary>
    public static int Of(Rune rune)
    {
        int value = rune.Value;
        if (value < 0x7F)
        {
            return value >= 0x20 ? 1 : 0;
        }

        if (value < 0xA0)
        {
            return 0; // DEL and C1 controls
        }

        if (value is (>= 0x1160 and <= 0x11FF) or (>= 0xD7B0 and <= 0xD7FF))
        {
            return 0; // Hangul medial vowels and final consonants join the preceding syllable
        }

        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.Format:
            case UnicodeCategory.Control:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return 0;
            default:
                break;
        }

        return IsWide(value) ? 2 : 1;
    }

    /// <summary>Columns taken by one grapheme cluster (one element of <see cref="StringInfo"/>).</summary>
    public static int OfCluster(ReadOnlySpan<char> cluster)
    {
        int width = 0;
        bool emojiPresentation = false;
        foreach (Rune rune in cluster.EnumerateRunes())
        {
            width += Of(rune);
            emojiPresentation |= rune.Value == 0xFE0F;
        }

        return emojiPresentation && width == 1 ? 2 : width;
    }

    /// <summary>Columns taken by a string, cluster by cluster.</summary>
    public static int Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int width = 0;
        int index = 0;
        while (index < text.Length)
        {
            int length = StringInfo.GetNextTextElementLength(text, index);
            width += OfCluster(text.AsSpan(index, length));
            index += length;
        }

        return width;
    }

    private static bool IsWide(int value)
    {
        if (value < Wide[0].First)
        {
            return false;
        }

        int low = 0;
        int high = Wide.Length - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (value < Wide[middle].First)
            {
                high = middle - 1;
            }
            else if (value > Wide[middle].Last)
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }
}
