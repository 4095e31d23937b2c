using System.Text;
using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public class DisplayWidthTests
{
    [Theory]
    [InlineData("a", 1)]
    [InlineData("hello", 5)]
    [InlineData("é", 1)]                       // precomposed
    [InlineData("e\u0301", 1)]                 // e + combining acute: the mark takes no column
    [InlineData("漢字", 4)]                     // CJK ideographs
    [InlineData("ｶﾀｶﾅ", 4)]                    // halfwidth katakana
    [InlineData("Ａ", 2)]                       // fullwidth Latin
    [InlineData("한국어", 6)]                    // Hangul syllables
    [InlineData("\U0001F600", 2)]              // 😀, a surrogate pair
    [InlineData("\U0001F1EB\U0001F1F7", 2)]    // 🇫🇷, two regional indicators
    [InlineData("\u2764\uFE0F", 2)]            // ❤️: a text-default symbol asked to be an emoji
    [InlineData("\u2764", 1)]                  // ❤ without the selector
    [InlineData("a\u200Bb", 2)]                // zero width space
    [InlineData("\u0007\u001b", 0)]            // controls are never displayed
    [InlineData("\u0085\u007f", 0)]            // C1 control and DEL too
    [InlineData("\u00AD", 1)]                  // soft hyphen: drawn by glibc- and glib-based terminals
    [InlineData("\u3000\U00020000", 4)]        // ideographic space, CJK extension B
    [InlineData("\u4DC0\u2630", 4)]            // hexagram and trigram: East Asian Wide since Unicode 16
    [InlineData("\u3248", 1)]                  // circled number on black square: East Asian Ambiguous
    [InlineData("\u0915\u093F", 2)]            // Devanagari ka + vowel sign i (Mc): a spacing mark advances
    [InlineData("\u1200", 1)]                  // Ethiopic syllable ha (Wcwidth 4.0.1 says 0)
    [InlineData("\U0001F44D\U0001F3FD", 4)]    // 👍🏽: the skin tone counts, on the wide side
    [InlineData("\U0001F469\u200D\U0001F4BB", 4)] // 👩‍💻: a ZWJ sequence counts each emoji
    public void Width_in_columns(string text, int expected) => Assert.Equal(expected, DisplayWidth.Of(text));

    [Fact]
    public void Every_code_point_is_zero_one_or_two_columns()
    {
        for (int value = 0; value <= 0x10FFFF; value++)
        {
            if (Rune.IsValid(value))
            {
                Assert.InRange(DisplayWidth.Of(new Rune(value)), 0, 2);
            }
        }
    }
}
