using System.Globalization;
using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public class LineViewTests
{
    private static EditBuffer Buffer(string text, int cursorCluster)
    {
        var buffer = new EditBuffer();
        buffer.SetText(text);
        buffer.MoveHome();
        for (int i = 0; i < cursorCluster; i++)
        {
            buffer.MoveRight();
        }

        return buffer;
    }

    /// <summary>The clusters of the layout text from the cursor column on.</summary>
    private static string TextFromColumn(string text, int column)
    {
        int columns = 0;
        int index = 0;
        while (index < text.Length && columns < column)
        {
            int length = StringInfo.GetNextTextElementLength(text, index);
            columns += DisplayWidth.OfCluster(text.AsSpan(index, length));
            index += length;
        }

        Assert.Equal(column, columns); // the cursor never lands inside a wide character
        return text[index..];
    }

    [Fact]
    public void A_short_line_is_shown_whole_after_the_prompt()
    {
        LineLayout layout = LineView.Compute("> ", Buffer("hello", 2), 80, 0);
        Assert.Equal("> hello", layout.Text);
        Assert.Equal(4, layout.CursorColumn);
        Assert.Equal(0, layout.Start);
    }

    [Fact]
    public void Wide_characters_count_two_columns_for_the_cursor()
    {
        LineLayout layout = LineView.Compute("> ", Buffer("漢字\U0001F600x", 3), 80, 0);
        Assert.Equal(2 + 6, layout.CursorColumn);
    }

    [Fact]
    public void A_long_line_scrolls_with_markers_and_never_reaches_the_last_column()
    {
        string text = string.Concat(Enumerable.Range(0, 200).Select(i => (char)('a' + (i % 26))));
        LineLayout layout = LineView.Compute("> ", Buffer(text, 200), 30, 0);
        Assert.StartsWith("> <", layout.Text, StringComparison.Ordinal);
        Assert.EndsWith(text[^10..], layout.Text, StringComparison.Ordinal);
        Assert.True(DisplayWidth.Of(layout.Text) <= 29);
        Assert.Equal(DisplayWidth.Of(layout.Text), layout.CursorColumn); // just after the last character

        layout = LineView.Compute("> ", Buffer(text, 0), 30, layout.Start);
        Assert.Equal(0, layout.Start);
        Assert.Equal(2, layout.CursorColumn);
        Assert.EndsWith(">", layout.Text, StringComparison.Ordinal);
        Assert.Equal(29, DisplayWidth.Of(layout.Text));
    }

    [Theory]
    [InlineData(80)]
    [InlineData(30)]
    [InlineData(17)]
    [InlineData(9)]
    [InlineData(4)]
    [InlineData(2)]
    public void Every_cursor_position_is_visible_and_the_row_fits(int width)
    {
        // ASCII, wide CJK, emoji (surrogate pairs), combining marks and flags.
        string text = string.Concat(Enumerable.Repeat("ab漢c\U0001F600de\u0301字\U0001F1EB\U0001F1F7 ", 12));
        var buffer = new EditBuffer();
        buffer.SetText(text);
        int clusters = buffer.ClusterCount;
        int start = 0;

        // Walk right through the line, then back left, as the arrow keys would.
        IEnumerable<int> walk = Enumerable.Range(0, clusters + 1).Concat(Enumerable.Range(0, clusters + 1).Reverse());
        foreach (int cursor in walk)
        {
            buffer.MoveHome();
            for (int i = 0; i < cursor; i++)
            {
                buffer.MoveRight();
            }

            LineLayout layout = LineView.Compute("chat> ", buffer, width, start);
            start = layout.Start;
            Assert.True(DisplayWidth.Of(layout.Text) <= width - 1, $"Row too wide at cursor {cursor}: '{layout.Text}'");
            Assert.InRange(layout.CursorColumn, 0, width - 2);
            if (width >= 9)
            {
                string underCursor = TextFromColumn(layout.Text, layout.CursorColumn);
                if (cursor < clusters)
                {
                    string cluster = text[buffer.Boundaries[cursor]..buffer.Boundaries[cursor + 1]];
                    Assert.StartsWith(cluster, underCursor, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Equal("", underCursor);
                }
            }
        }
    }

    [Fact]
    public void Typing_at_the_end_of_a_long_line_scrolls_by_jumps_not_at_every_key()
    {
        var buffer = new EditBuffer();
        int start = 0;
        int jumps = 0;
        for (int i = 0; i < 300; i++)
        {
            buffer.Insert("x");
            LineLayout layout = LineView.Compute("> ", buffer, 40, start);
            jumps += layout.Start != start ? 1 : 0;
            start = layout.Start;
            Assert.True(DisplayWidth.Of(layout.Text) <= 39);
        }

        Assert.InRange(jumps, 1, 300 / 10);
    }

    [Fact]
    public void Deleting_the_end_of_a_scrolled_line_brings_hidden_text_back()
    {
        string text = new('x', 100);
        var buffer = new EditBuffer();
        buffer.SetText(text);
        LineLayout layout = LineView.Compute("> ", buffer, 40, 0);
        Assert.True(layout.Start > 0);

        buffer.SetText(text[..70]);
        layout = LineView.Compute("> ", buffer, 40, layout.Start);
        int shown = layout.Text.Count(c => c == 'x');
        Assert.True(shown >= 20, $"Only {shown} characters shown after deleting: '{layout.Text}'");
    }

    [Fact]
    public void A_prompt_too_wide_for_the_terminal_is_cut()
    {
        LineLayout layout = LineView.Compute(new string('p', 100), Buffer("hi", 2), 40, 0);
        Assert.Equal(new string('p', 39 - LineView.MinInputColumns) + "hi", layout.Text);
        Assert.Equal(39 - LineView.MinInputColumns + 2, layout.CursorColumn);
    }

    [Fact]
    public void An_unknown_width_is_taken_as_80_columns()
    {
        LineLayout layout = LineView.Compute("", Buffer(new string('x', 200), 0), 0, 0);
        Assert.Equal(new string('x', 78) + ">", layout.Text);
    }
}
