using System.Text;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

public class SafeFileNameTests
{
    private static void AssertSafe(string name)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.NotEqual(".", name);
        Assert.NotEqual("..", name);
        Assert.DoesNotContain('/', name);
        Assert.DoesNotContain('\\', name);
        Assert.DoesNotContain(name, c => char.IsControl(c) || c is '\u202E' or '\u200B' or '<' or '>' or ':' or '"' or '|' or '?' or '*');
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }

            Assert.False(char.IsSurrogate(name[i]), "a lone surrogate in " + name);
        }

        Assert.False(name[0] is '.' or '-' or ' ', name);
        Assert.False(name[^1] is '.' or ' ', name);
        Assert.InRange(Encoding.UTF8.GetByteCount(name), 1, SafeFileName.MaxBytes);
    }

    [Theory]
    [InlineData("../../x", "x")]
    [InlineData("..\\..\\evil.txt", "evil.txt")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("C:\\Windows\\x.exe", "x.exe")]
    [InlineData("\u001b[31mred\u001b[0m.txt", "red.txt")]
    [InlineData("\u001b]0;pwned\u0007title.txt", "title.txt")]
    [InlineData("\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\.txt", "link.txt")]
    [InlineData(".bashrc", "bashrc")]
    [InlineData("-rf", "rf")]
    [InlineData("--help", "help")]
    [InlineData("...", "file")]
    [InlineData("..", "file")]
    [InlineData(".", "file")]
    [InlineData("", "file")]
    [InlineData("   ", "file")]
    [InlineData("CON.txt", "_CON.txt")]
    [InlineData("nul", "_nul")]
    [InlineData("a<b>c:d.txt", "a_b_c_d.txt")]
    [InlineData("\u202Etxt.exe", "txt.exe")]
    [InlineData("name...", "name")]
    [InlineData("zero\u200Bwidth.txt", "zerowidth.txt")]
    [InlineData("cafe\u0301.txt", "caf\u00e9.txt")]
    public void Hostile_names_become_plain_file_names(string peerName, string expected)
    {
        string safe = SafeFileName.Reduce(peerName);
        Assert.Equal(expected, safe);
        AssertSafe(safe);
    }

    [Fact]
    public void Lone_surrogates_are_dropped() => Assert.Equal("lone.txt", SafeFileName.Reduce("lone\ud800.txt\udc00"));

    [Theory]
    [InlineData("n", ".txt")]
    [InlineData("é", ".txt")]
    [InlineData("👋", ".tar.gz")]
    [InlineData("x", "")]
    public void Long_names_are_cut_to_200_bytes_keeping_the_extension_and_whole_characters(string unit, string extension)
    {
        string peerName = string.Concat(Enumerable.Repeat(unit, 300)) + extension;
        string safe = SafeFileName.Reduce(peerName);
        AssertSafe(safe);
        Assert.EndsWith(extension.Length > 0 ? extension[extension.LastIndexOf('.')..] : "", safe, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(safe) > SafeFileName.MaxBytes - 5, safe);
    }

    [Fact]
    public void Random_names_always_come_out_safe()
    {
        var random = new Random(1234);
        string alphabet = "ab./\\-~ \t\u001b[]0;m\u0007\u202E\u200B\ud800\udc00é👋:*?\"<>|\u0085\u009b";
        for (int i = 0; i < 5000; i++)
        {
            var name = new StringBuilder();
            int length = random.Next(0, 400);
            for (int j = 0; j < length; j++)
            {
                name.Append(alphabet[random.Next(alphabet.Length)]);
            }

            AssertSafe(SafeFileName.Reduce(name.ToString()));
        }
    }

    [Theory]
    [InlineData("report.pdf", 2, "report (2).pdf")]
    [InlineData("README", 1, "README (1)")]
    [InlineData("archive.tar.gz", 3, "archive.tar (3).gz")]
    public void Numbered_alternatives_keep_the_extension(string name, int n, string expected) =>
        Assert.Equal(expected, SafeFileName.Numbered(name, n));

    [Fact]
    public void Numbered_alternatives_of_the_longest_names_stay_within_the_limit()
    {
        string longest = SafeFileName.Reduce(new string('n', 300) + ".txt");
        string numbered = SafeFileName.Numbered(longest, 12345);
        Assert.EndsWith(" (12345).txt", numbered, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(numbered), 1, SafeFileName.MaxBytes);
    }
}
