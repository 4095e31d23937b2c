namespace SecureChat.Cli.Tests.Terminal;

/// <summary>Tab at the code prompt: one candidate is written out with its separator; several extend to their common prefix or are listed.</summary>
public class CodePromptTests
{
    private static (string Line, CodePrompt.TabResult Result) Tab(string typed, bool withNameplate = true)
    {
        char[] buffer = new char[Rendezvous.Code.MaxTypedLength];
        typed.CopyTo(buffer);
        int length = typed.Length;
        CodePrompt.TabResult result = CodePrompt.Complete(buffer, ref length, withNameplate);
        return (new string(buffer, 0, length), result);
    }

    [Fact]
    public void One_candidate_is_completed_with_a_separator()
    {
        (string line, CodePrompt.TabResult result) = Tab("17-blueb");
        Assert.Equal("17-bluebird-", line);
        Assert.Equal("ird-", result.Added);
        Assert.Equal("17-bluebird-caravan-", Tab("17-bluebird-carav").Line);
    }

    [Fact]
    public void The_typed_case_is_kept_and_the_rest_added()
    {
        Assert.Equal("17-BLUEBird-", Tab("17-BLUEB").Line);
    }

    [Fact]
    public void Several_candidates_extend_to_their_common_prefix_then_are_listed()
    {
        (string line, CodePrompt.TabResult result) = Tab("17-pu");
        Assert.Equal(["pupil", "puppy"], result.Candidates);
        Assert.Equal("17-pup", line);

        (string again, CodePrompt.TabResult listed) = Tab(line);
        Assert.Equal(line, again);
        Assert.Equal("", listed.Added);
        Assert.True(listed.Candidates.Count > 1);
    }

    [Fact]
    public void Nothing_to_complete_changes_nothing()
    {
        (string line, CodePrompt.TabResult result) = Tab("17-xq");
        Assert.Equal("17-xq", line);
        Assert.Empty(result.Candidates);
        Assert.Equal("1", Tab("1").Line);
    }
}
