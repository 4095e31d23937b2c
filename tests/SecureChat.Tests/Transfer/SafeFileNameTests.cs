using System.Globalization;
using System.Text;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

public class SafeFileNameTests
{
    /// <summary>The promises of <see cref="SafeFileName"/>, checked on any result.</summary>
    private static void AssertSafe(string name)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.NotEqual(".", name);
        Assert.NotEqual("..", name);
        Assert.InRange(Encoding.UTF8.GetByteCount(name), 1, SafeFileName.MaxBytes);
        Assert.False(name[0] is '.' or '-' || char.IsWhiteSpace(name[0]), "bad first character: " + Escaped(name));
        Assert.False(name[^1] == '.' || char.IsWhiteSpace(name[^1]), "bad last character: " + Escaped(name));
        Assert.True(name.IsNormalized(NormalizationForm.FormC), "not NFC: " + Escaped(name));
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            Assert.False(c is '/' or '\\' or '<' or '>' or ':' or '"' or '|' or '?' or '*', "forbidden character in " + Escaped(name));
            Assert.False(char.IsControl(c), "control character in " + Escaped(name));
            Assert.False(c is '\u200B' or '\u200C' or '\u200D' or '\u200E' or '\u200F' or '\uFEFF' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'), "invisible character in " + Escaped(name));
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }

            Assert.False(char.IsSurrogate(c), "lone surrogate in " + Escaped(name));
            Assert.NotEqual(UnicodeCategory.Format, char.GetUnicodeCategory(c));
        }

        string dotless = name.Split('.')[0].TrimEnd(' ');
        Assert.False(dotless.ToUpperInvariant() is "CON" or "PRN" or "AUX" or "NUL" || (dotless.Length == 4 && dotless.ToUpperInvariant()[..3] is "COM" or "LPT" && char.IsAsciiDigit(dotless[3])), "device name: " + name);
    }

    private static string Escaped(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}"));

    [Theory]
    // Paths: only the last component is kept.
    [InlineData("../../x", "x")]
    [InlineData("..\\..\\x", "x")]
    [InlineData("..\\..\\evil.txt", "evil.txt")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("C:\\Windows\\x.exe", "x.exe")]
    [InlineData("\\\\server\\share\\doc.txt", "doc.txt")]
    [InlineData("dir/", "file")]
    [InlineData("a/b\\c/d.txt", "d.txt")]
    // Terminal escape sequences vanish whole.
    [InlineData("\u001b[31mred\u001b[0m.txt", "red.txt")]
    [InlineData("\u001b[1;31;4mbold\u001b[m", "bold")]
    [InlineData("\u001b]0;pwned\u0007title.txt", "title.txt")]
    [InlineData("\u001b]8;;http://evil/x\u001b\\link\u001b]8;;\u001b\\.txt", "link.txt")]
    [InlineData("\u001b]0;no end title.txt", "file")]
    [InlineData("\u009b31mc1\u009b0m.txt", "c1.txt")]
    [InlineData("\u009d0;title\u009cok.txt", "ok.txt")]
    [InlineData("\u001bPdevice control\u001b\\dcs.txt", "dcs.txt")]
    [InlineData("\u001bcreset.txt", "reset.txt")]
    [InlineData("\u001b7saved\u001b8.txt", "saved.txt")]
    [InlineData("end\u001b", "end")]
    // Control characters.
    [InlineData("tab\there.txt", "tabhere.txt")]
    [InlineData("new\r\nline.txt", "newline.txt")]
    [InlineData("nul\u0000byte.txt", "nulbyte.txt")]
    [InlineData("del\u007f.txt", "del.txt")]
    [InlineData("c1\u0080\u0085\u009a.txt", "c1.txt")]
    // Hidden files and options.
    [InlineData(".bashrc", "bashrc")]
    [InlineData("-rf", "rf")]
    [InlineData("--help", "help")]
    [InlineData(" -. -x", "x")]
    [InlineData("\u3000-rf", "rf")]
    [InlineData("\u00a0.hidden", "hidden")]
    [InlineData("a-b.c", "a-b.c")]
    // Nothing left.
    [InlineData("...", "file")]
    [InlineData("..", "file")]
    [InlineData(".", "file")]
    [InlineData("", "file")]
    [InlineData("   ", "file")]
    [InlineData("\t \u3000\u2028", "file")]
    [InlineData("\u001b[0m", "file")]
    [InlineData("\u202E\u200B", "file")]
    // Windows.
    [InlineData("CON.txt", "_CON.txt")]
    [InlineData("nul", "_nul")]
    [InlineData("Aux", "_Aux")]
    [InlineData("com1", "_com1")]
    [InlineData("LPT9.log", "_LPT9.log")]
    [InlineData("con.tar.gz", "_con.tar.gz")]
    [InlineData("prn .txt", "_prn .txt")]
    [InlineData("COM\u00b9.txt", "_COM\u00b9.txt")]
    [InlineData("CONSOLE.txt", "CONSOLE.txt")]
    [InlineData("COM10", "COM10")]
    [InlineData("lpt0", "_lpt0")]
    [InlineData("nul/x", "x")]
    [InlineData("a<b>c:d.txt", "a_b_c_d.txt")]
    [InlineData("what?\"*|.txt", "what____.txt")]
    [InlineData("name...", "name")]
    [InlineData("name. . .", "name")]
    [InlineData("trailing  ", "trailing")]
    // Bidi, zero-width and normalisation.
    [InlineData("\u202Etxt.exe", "txt.exe")]
    [InlineData("invoice\u202Efdp.exe", "invoicefdp.exe")]
    [InlineData("a\u200Eb\u200Fc\u202Ad\u202Be\u202Cf\u202Dg\u2066h\u2067i\u2068j\u2069k", "abcdefghijk")]
    [InlineData("zero\u200Bwidth\u200C\u200D\uFEFF.txt", "zerowidth.txt")]
    [InlineData("cafe\u0301.txt", "caf\u00e9.txt")]
    [InlineData("\u00fcber 👋 日本.txt", "\u00fcber 👋 日本.txt")]
    [InlineData("report (1).pdf", "report (1).pdf")]
    public void Hostile_names_become_plain_file_names(string peerName, string expected)
    {
        string safe = SafeFileName.Reduce(peerName);
        Assert.Equal(expected, safe);
        AssertSafe(safe);
    }

    [Fact]
    public void Null_becomes_file() => Assert.Equal("file", SafeFileName.Reduce(null));

    [Fact]
    public void Lone_surrogates_are_dropped_and_pairs_kept()
    {
        // Not InlineData: xunit serialises test data as UTF-8, which turns lone surrogates into U+FFFD.
        (string PeerName, string Expected)[] cases =
        [
            ("lone\ud800.txt", "lone.txt"),
            ("lone\udc00.txt", "lone.txt"),
            ("\udc00\ud800", "file"),
            ("pair\ud83d\ude00 lone\ud83d.txt", "pair\ud83d\ude00 lone.txt"),
            ("\ud800.hidden\udc00", "hidden"),
        ];
        foreach ((string peerName, string expected) in cases)
        {
            string safe = SafeFileName.Reduce(peerName);
            Assert.Equal(expected, safe);
            AssertSafe(safe);
        }
    }

    [Theory]
    [InlineData("n", 1, ".txt", 196)]
    [InlineData("n", 1, "", 200)]
    [InlineData("é", 2, ".txt", 98)]
    [InlineData("é", 2, "", 100)]
    [InlineData("e\u0301", 2, ".txt", 98)]
    [InlineData("日", 3, ".txt", 65)]
    [InlineData("👋", 4, ".tar.gz", 49)]
    [InlineData("👋", 4, "", 50)]
    public void Long_names_are_cut_to_200_bytes_keeping_the_extension_and_whole_characters(string unit, int unitBytes, string extension, int unitsKept)
    {
        string peerName = string.Concat(Enumerable.Repeat(unit, 300)) + extension;
        string safe = SafeFileName.Reduce(peerName);
        AssertSafe(safe);
        string kept = string.Concat(Enumerable.Repeat(unit, unitsKept)).Normalize(NormalizationForm.FormC);
        string keptExtension = extension.Length > 0 ? extension[extension.LastIndexOf('.')..] : "";
        Assert.Equal(kept + keptExtension, safe);
        Assert.InRange(Encoding.UTF8.GetByteCount(safe), SafeFileName.MaxBytes - unitBytes + 1, SafeFileName.MaxBytes);
    }

    [Fact]
    public void A_long_extension_is_cut_as_part_of_the_name()
    {
        string safe = SafeFileName.Reduce("a." + new string('x', 300));
        Assert.Equal("a." + new string('x', 198), safe);
    }

    [Fact]
    public void Cutting_never_leaves_a_device_name_or_a_trailing_space()
    {
        Assert.Equal("_CON.txt", SafeFileName.Reduce("CON" + new string(' ', 300) + "x.txt"));
        Assert.Equal("name", SafeFileName.Reduce("name" + new string(' ', 300) + "x"));
        Assert.Equal("name.txt", SafeFileName.Reduce("name" + new string('.', 300) + "x.txt"));
    }

    [Fact]
    public void A_result_reduces_to_itself()
    {
        foreach (string name in new[] { "_CON.txt", "file", "report (2).pdf", "caf\u00e9.txt", new string('n', 200), "a." + new string('x', 198) })
        {
            Assert.Equal(name, SafeFileName.Reduce(name));
        }
    }

    [Fact]
    public void Random_names_always_come_out_safe_and_stable()
    {
        var random = new Random(1234);
        string[] alphabet =
        [
            "a", "b", "Z", "0", ".", "..", "/", "\\", "-", "~", " ", "\t", "\n", "\u0000", "\u007f", "\u0085", "\u009b", "\u009d", "\u009c",
            "\u001b", "[", "]", "0", ";", "m", "P", "\u0007", "\u202E", "\u2066", "\u200B", "\u200D", "\uFEFF", "\u00a0", "\u3000",
            "\ud800", "\udc00", "\ud83d\udc4b", "é", "e", "\u0301", "\u0327", "日", ":", "*", "?", "\"", "<", ">", "|", "CON", "nul", "com1",
            "\ue000", "\uffff", "\u2028",
        ];
        for (int i = 0; i < 5000; i++)
        {
            var name = new StringBuilder();
            int length = random.Next(0, i % 10 == 0 ? 400 : 30);
            for (int j = 0; j < length; j++)
            {
                name.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string safe = SafeFileName.Reduce(name.ToString());
            AssertSafe(safe);
            Assert.Equal(safe, SafeFileName.Reduce(safe));
            AssertSafe(SafeFileName.Numbered(safe, random.Next(1, int.MaxValue)));
        }
    }

    [Fact]
    public void Random_utf16_always_comes_out_safe()
    {
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            char[] name = new char[random.Next(0, 300)];
            for (int j = 0; j < name.Length; j++)
            {
                name[j] = (char)random.Next(0, 0x10000);
            }

            string safe = SafeFileName.Reduce(new string(name));
            AssertSafe(safe);
            Assert.Equal(safe, SafeFileName.Reduce(safe));
        }
    }

    [Theory]
    [InlineData("report.pdf", 2, "report (2).pdf")]
    [InlineData("README", 2, "README (2)")]
    [InlineData("README", 1, "README (1)")]
    [InlineData("archive.tar.gz", 3, "archive.tar (3).gz")]
    [InlineData("_CON.txt", 2, "_CON (2).txt")]
    [InlineData("file", 10, "file (10)")]
    [InlineData("a." + "xxxxxxxxxxxxxxxxx", 2, "a.xxxxxxxxxxxxxxxxx (2)")]
    public void Numbered_alternatives_keep_the_extension(string name, int n, string expected)
    {
        string numbered = SafeFileName.Numbered(name, n);
        Assert.Equal(expected, numbered);
        AssertSafe(numbered);
    }

    [Theory]
    [InlineData("n", ".txt")]
    [InlineData("é", ".txt")]
    [InlineData("👋", "")]
    [InlineData("日", ".tar.gz")]
    public void Numbered_alternatives_of_the_longest_names_stay_within_the_limit(string unit, string extension)
    {
        string longest = SafeFileName.Reduce(string.Concat(Enumerable.Repeat(unit, 300)) + extension);
        string suffix = " (2147483647)" + (extension.Length > 0 ? extension[extension.LastIndexOf('.')..] : "");
        string numbered = SafeFileName.Numbered(longest, int.MaxValue);
        AssertSafe(numbered);
        Assert.EndsWith(suffix, numbered, StringComparison.Ordinal);
        Assert.StartsWith(numbered[..^suffix.Length], longest, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(numbered) > SafeFileName.MaxBytes - 4, numbered);
    }

    [Fact]
    public void Numbered_reduces_a_name_that_is_not_safe_yet() =>
        Assert.Equal("x (2).txt", SafeFileName.Numbered("../.x.txt", 2));

    [Fact]
    public void Numbered_refuses_caller_mistakes()
    {
        Assert.Throws<ArgumentNullException>(() => SafeFileName.Numbered(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeFileName.Numbered("a.txt", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeFileName.Numbered("a.txt", -1));
    }
}
