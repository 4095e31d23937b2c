using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public class EditBufferTests
{
    private static EditBuffer With(string text, int cursor)
    {
        var buffer = new EditBuffer();
        buffer.SetText(text);
        buffer.MoveHome();
        for (int i = 0; i < cursor; i++)
        {
            buffer.MoveRight();
        }

        return buffer;
    }

    [Fact]
    public void Insert_goes_at_the_cursor()
    {
        EditBuffer buffer = With("helo", 3);
        Assert.True(buffer.Insert("l"));
        Assert.Equal("hello", buffer.Text);
        Assert.Equal(4, buffer.Cursor);
    }

    [Fact]
    public void A_surrogate_pair_is_one_cursor_step_and_one_backspace()
    {
        EditBuffer buffer = With("a\U0001F600b", 0);
        Assert.Equal(3, buffer.ClusterCount);
        buffer.MoveRight();
        buffer.MoveRight();
        Assert.Equal(3, buffer.Cursor); // after the emoji, not inside it
        Assert.True(buffer.DeleteBackward());
        Assert.Equal("ab", buffer.Text);
        Assert.Equal(1, buffer.Cursor);
    }

    [Fact]
    public void A_letter_with_combining_marks_is_one_step()
    {
        EditBuffer buffer = With("xe\u0301\u0323y", 1);
        buffer.MoveRight();
        Assert.Equal(4, buffer.Cursor);
        buffer.DeleteBackward();
        Assert.Equal("xy", buffer.Text);
    }

    [Fact]
    public void Delete_removes_the_whole_cluster_under_the_cursor()
    {
        EditBuffer buffer = With("\U0001F1EB\U0001F1F7!", 0); // 🇫🇷!
        Assert.True(buffer.DeleteForward());
        Assert.Equal("!", buffer.Text);
    }

    [Fact]
    public void An_insertion_that_joins_clusters_leaves_the_cursor_on_a_boundary()
    {
        // Typing a zero width joiner between two emoji makes a single family emoji.
        EditBuffer buffer = With("\U0001F468\U0001F469", 1);
        buffer.Insert("\u200D");
        Assert.Equal(1, buffer.ClusterCount);
        Assert.Equal(buffer.Text.Length, buffer.Cursor);
    }

    [Theory]
    [InlineData("\u001b[31m", "[31m")]
    [InlineData("a\u0000b\u0007c\u007f", "abc")]
    [InlineData("\u0085\u009b1m", "1m")]                   // C1 controls, including the 8-bit CSI
    [InlineData("\u202Eevil\u202C", "evil")]              // bidirectional override
    [InlineData("x\r\ny\tz", "xyz")]
    public void Control_characters_never_enter_the_text(string typed, string expected)
    {
        var buffer = new EditBuffer();
        buffer.Insert(typed);
        Assert.Equal(expected, buffer.Text);
        buffer.SetText(typed);
        Assert.Equal(expected, buffer.Text);
    }

    [Fact]
    public void Lone_surrogates_never_enter_the_text()
    {
        // Not theory data: serializing test cases would replace lone surrogates with U+FFFD.
        var buffer = new EditBuffer();
        buffer.Insert("\uD83D");
        buffer.Insert("a\uDE00b\uD83D");
        Assert.Equal("ab", buffer.Text);
        buffer.SetText("\uDE00\uD83D\uDE00\uD83D");
        Assert.Equal("\U0001F600", buffer.Text);
    }

    [Fact]
    public void Delete_to_start_and_to_end()
    {
        EditBuffer buffer = With("hello world", 5);
        Assert.Equal(" world", buffer.DeleteToEnd());
        Assert.Equal("hello", buffer.Text);
        buffer.MoveLeft();
        Assert.Equal("hell", buffer.DeleteToStart());
        Assert.Equal("o", buffer.Text);
        Assert.Equal(0, buffer.Cursor);
    }

    [Fact]
    public void Ctrl_W_style_deletes_back_to_whitespace()
    {
        EditBuffer buffer = With("say foo-bar.baz  ", 17);
        Assert.Equal("foo-bar.baz  ", buffer.DeleteWhitespaceWordBackward());
        Assert.Equal("say ", buffer.Text);
    }

    [Fact]
    public void Word_deletion_and_movement_stop_at_punctuation()
    {
        EditBuffer buffer = With("foo-bar baz", 11);
        Assert.Equal("baz", buffer.DeleteWordBackward());
        Assert.Equal("bar ", buffer.DeleteWordBackward());
        Assert.Equal("foo-", buffer.Text);

        buffer = With("foo-bar baz", 0);
        Assert.True(buffer.MoveWordRight());
        Assert.Equal(3, buffer.Cursor);
        buffer.MoveWordRight();
        Assert.Equal(7, buffer.Cursor);
        Assert.Equal(" baz", buffer.DeleteWordForward());
        buffer.MoveWordLeft();
        Assert.Equal(4, buffer.Cursor);
        buffer.MoveWordLeft();
        Assert.Equal(0, buffer.Cursor);
        Assert.False(buffer.MoveWordLeft());
    }

    [Fact]
    public void Moves_stop_at_the_ends()
    {
        EditBuffer buffer = With("ab", 0);
        Assert.False(buffer.MoveLeft());
        Assert.False(buffer.DeleteBackward());
        Assert.True(buffer.MoveEnd());
        Assert.False(buffer.MoveRight());
        Assert.False(buffer.DeleteForward());
        Assert.Equal("ab", buffer.Text);
    }
}
