using System.Text.RegularExpressions;
using SecureChat.Identity;
using SecureChat.Rendezvous;

namespace SecureChat.Tests.Rendezvous;

/// <summary>Codes (issue 13, "Codes"): generation, the canonical form, normalising what is typed, and checking each word before anything is sent.</summary>
public sealed partial class CodeTests
{
    [Fact]
    public void The_word_lists_have_256_lowercase_words_each_and_none_in_both()
    {
        Assert.Equal(256, PgpWordList.Even.Count);
        Assert.Equal(256, PgpWordList.Odd.Count);
        Assert.Equal("aardvark", PgpWordList.Even[0]);
        Assert.Equal("adroitness", PgpWordList.Odd[0]);
        Assert.Equal("zulu", PgpWordList.Even[255]);
        Assert.Equal("yucatan", PgpWordList.Odd[255]);
        Assert.Empty(PgpWordList.Even.Intersect(PgpWordList.Odd));
        Assert.All(PgpWordList.Even.Concat(PgpWordList.Odd), w => Assert.Matches("^[a-z]+$", w));
        Assert.Equal(0x24, PgpWordList.IndexOf("bluebird", 0));
        Assert.Equal(-1, PgpWordList.IndexOf("bluebird", 1));
    }

    [Theory]
    [InlineData("17", 2)]
    [InlineData("999999", 2)]
    [InlineData("5", 5)]
    [InlineData(null, 2)]
    [InlineData(null, 8)]
    public void A_generated_code_is_canonical_with_even_and_odd_words_alternating(string? nameplate, int words)
    {
        using Code code = Code.Generate(nameplate, words);
        string text = code.ToDisplayString();
        Assert.Matches(CanonicalPattern(), text);
        string[] parts = text.Split('-');
        string[] wordParts = nameplate is null ? parts : parts[1..];
        if (nameplate is not null)
        {
            Assert.Equal(nameplate, parts[0]);
        }

        Assert.Equal(words, wordParts.Length);
        Assert.Equal(words, code.WordCount);
        for (int i = 0; i < wordParts.Length; i++)
        {
            Assert.True(PgpWordList.IndexOf(wordParts[i], i) >= 0, $"word {i} '{wordParts[i]}' is not in its list");
        }

        Assert.Equal(nameplate, code.Nameplate);
        Assert.Equal(nameplate, code.PakeChannel);
    }

    [Fact]
    public void Generated_codes_differ()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 50; i++)
        {
            using Code code = Code.Generate("17");
            seen.Add(code.ToDisplayString());
        }

        Assert.True(seen.Count > 40); // 65,536 codes: 50 draws collide rarely
    }

    [Theory]
    [InlineData("17-bluebird-caravan")]
    [InlineData("17 bluebird caravan")]
    [InlineData("  017--BlueBird   CARAVAN \t")]
    [InlineData("17_bluebird.caravan")]
    [InlineData("17 - bluebird - caravan\n")]
    public void What_the_user_types_is_normalised_to_the_canonical_code(string typed)
    {
        Assert.True(Code.TryParse(typed.TrimEnd('\n'), withNameplate: true, out Code? code, out CodeProblem? problem), problem?.Message);
        using (code)
        {
            Assert.Equal("17-bluebird-caravan", code.ToDisplayString());
            Assert.Equal("17", code.Nameplate);
            using Passphrase expected = Passphrase.FromChars("17-bluebird-caravan");
            Assert.True(code.Passphrase.HasSameBytesAs(expected)); // the CPace PRS is the canonical string's UTF-8
        }
    }

    [Fact]
    public void A_words_only_code_has_no_nameplate()
    {
        Assert.True(Code.TryParse("Bluebird Caravan", withNameplate: false, out Code? code, out _));
        using (code)
        {
            Assert.Equal("bluebird-caravan", code.ToDisplayString());
            Assert.Null(code.Nameplate);
        }

        Assert.False(Code.TryParse("17-bluebird-caravan", withNameplate: false, out _, out CodeProblem? problem));
        Assert.Contains("words only", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "No code")]
    [InlineData("   ", "No code")]
    [InlineData("bluebird-caravan", "starts with the number")]
    [InlineData("17", "at least 2 words")]
    [InlineData("17-bluebird", "at least 2 words")]
    [InlineData("0-bluebird-caravan", "1 to 999999")]
    [InlineData("1234567-bluebird-caravan", "1 to 999999")]
    [InlineData("17-bluebird-caravan-9", "Only the first part")]
    [InlineData("17-blue$bird-caravan", "only letters")]
    [InlineData("17-bluébird-caravan", "only letters")]
    [InlineData("17-caravan-bluebird", "other list")]
    [InlineData("17-a-b-c-d-e-f-g-h-i", "")]
    public void A_bad_code_is_refused_before_anything_is_sent(string typed, string expected)
    {
        Assert.False(Code.TryParse(typed, withNameplate: true, out Code? code, out CodeProblem? problem));
        Assert.Null(code);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("17-bluebrid-caravan", 1, "bluebird")]
    [InlineData("17-bluebird-caravn", 2, "caravan")]
    [InlineData("17-bluebird-karavan", 2, "caravan")]
    [InlineData("17-blubird-caravan", 1, "bluebird")]
    public void A_misspelt_word_gets_a_did_you_mean(string typed, int position, string suggestion)
    {
        Assert.False(Code.TryParse(typed, withNameplate: true, out _, out CodeProblem? problem));
        Assert.Equal(position, problem.WordPosition);
        Assert.Equal(suggestion, problem.Suggestions[0]);
        Assert.Contains($"Did you mean '{suggestion}'", problem.MessageWithSuggestions, StringComparison.Ordinal);
        Assert.DoesNotContain(typed.Split('-')[position], problem.Message, StringComparison.Ordinal); // the message never repeats the typed text
    }

    [Fact]
    public void A_word_far_from_every_word_gets_no_suggestion()
    {
        Assert.False(Code.TryParse("17-xqzxqzxqz-caravan", withNameplate: true, out _, out CodeProblem? problem));
        Assert.Empty(problem.Suggestions);
    }

    [Fact]
    public void Tab_completes_from_the_list_for_the_position()
    {
        Assert.Equal(["bluebird"], CodeWords.Complete("17-blueb", withNameplate: true, out int replaced));
        Assert.Equal(5, replaced);
        Assert.Equal(["caravan"], CodeWords.Complete("17-bluebird-carav", withNameplate: true, out _));
        Assert.Empty(CodeWords.Complete("17-carav", withNameplate: true, out _)); // caravan is an odd (second) word
        Assert.Equal(256, CodeWords.Complete("17-", withNameplate: true, out int none).Count);
        Assert.Equal(0, none);
        Assert.Empty(CodeWords.Complete("1", withNameplate: true, out _)); // the nameplate is not completed
        Assert.Equal(["bluebird"], CodeWords.Complete("BLUEB", withNameplate: false, out _));
        IReadOnlyList<string> several = CodeWords.Complete("17-bl", withNameplate: true, out _);
        Assert.True(several.Count > 1);
        Assert.All(several, w => Assert.StartsWith("bl", w, StringComparison.Ordinal));
    }

    [Fact]
    public void A_code_from_utf8_drops_the_line_break_and_refuses_bad_input()
    {
        using Code code = Code.FromUtf8("17-Bluebird-Caravan\r\n"u8, withNameplate: true);
        Assert.Equal("17-bluebird-caravan", code.ToDisplayString());
        Assert.Throws<CodeFormatException>(() => Code.FromUtf8([0x31, 0x37, 0x2d, 0xff], withNameplate: true));
        CodeFormatException e = Assert.Throws<CodeFormatException>(() => Code.FromUtf8("17-bluebrid-caravan"u8, withNameplate: true));
        Assert.Equal(1, e.Problem.WordPosition);
    }

    [Fact]
    public void ToString_does_not_show_the_words()
    {
        using Code code = Code.Generate("17");
        Assert.DoesNotContain(code.ToDisplayString().Split('-')[1], code.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Edit_distance_counts_a_transposition_as_one()
    {
        Assert.Equal(0, CodeWords.Distance("caravan", "caravan", 2));
        Assert.Equal(1, CodeWords.Distance("acravan", "caravan", 2));
        Assert.Equal(3, CodeWords.Distance("xyz", "caravan", 2));
    }

    [GeneratedRegex("^([1-9][0-9]{0,5}-)?[a-z]+(-[a-z]+)+$")]
    private static partial Regex CanonicalPattern();
}
