using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public class HistoryTests
{
    [Fact]
    public void Empty_lines_and_consecutive_duplicates_are_not_kept()
    {
        var history = new History();
        Assert.True(history.Add("one"));
        Assert.False(history.Add("one"));
        Assert.False(history.Add(""));
        Assert.True(history.Add("two"));
        Assert.True(history.Add("one"));
        Assert.Equal(["one", "two", "one"], Enumerable.Range(0, history.Count).Select(i => history[i]));
    }

    [Fact]
    public void At_most_500_entries_by_default_the_oldest_go_first()
    {
        var history = new History();
        for (int i = 0; i < 600; i++)
        {
            history.Add($"line {i}");
        }

        Assert.Equal(500, history.Count);
        Assert.Equal("line 100", history[0]);
        Assert.Equal("line 599", history[^1]);
    }
}
