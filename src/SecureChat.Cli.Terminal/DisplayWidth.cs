using System.Globalization;
using System.Text;
using Wcwidth;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// How many terminal columns text occupies, in the way wcwidth-based terminals (xterm, VTE, Konsole,
/// Windows Terminal) count them: East Asian Wide and Fullwidth characters and emoji with emoji
/// presentation take 2 columns, combining marks and format characters 0, everything else 1.
/// Code point widths come from the Wcwidth package (Unicode 17 tables), with the corrections in
/// <see cref="Of(Rune)"/> where it would count fewer columns than terminals draw.
/// A grapheme cluster (what the cursor steps over) is the sum of its code points, except that an
/// emoji variation selector (U+FE0F) makes a 1-column base 2 wide. Terminals disagree about some
/// emoji sequences; where they do, this errs on the wide side, so a line never overflows its row.
/// </summary>
internal static class DisplayWidth
{
    /// <summary>
    /// Columns taken by one code point: 0, 1 or 2. Control characters count 0 (they are never displayed).
    /// Wcwidth is overruled where it counts fewer columns than glibc- and glib-based terminals draw:
    /// spacing combining marks (Unicode category Mc: they advance the cursor), emoji skin tone modifiers
    /// standing alone (East Asian Wide; after an emoji this over-counts, the safe side), and U+1200
    /// ETHIOPIC SYLLABLE HA (a letter that Wcwidth 4.0.1 puts in the Hangul jamo zero-width range).
    /// </summary>
    public static int Of(Rune rune)
    {
        int value = rune.Value;
        if (value < 0x7F)
        {
            return value >= 0x20 ? 1 : 0; // the common case, without a table lookup
        }

        if (value == 0x1200)
        {
            return 1;
        }

        if (value is (>= 0x1F3FB and <= 0x1F3FF) or (>= 0x16FF0 and <= 0x16FF1))
        {
            return 2; // skin tone modifiers; Vietnamese reading marks (Mc, East Asian Wide)
        }

        int width = UnicodeCalculator.GetWidth(rune);
        if (width < 0)
        {
            return 0; // C0 and C1 controls, DEL
        }

        return width == 0 && Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpacingCombiningMark ? 1 : width;
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
}
