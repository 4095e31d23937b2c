using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public class LineEditStateTests
{
    private readonly LineEditState _state = new(new History());

    public LineEditStateTests() => _state.Reset();

    private EditOutcome Press(params ConsoleKeyInfo[] keys)
    {
        EditOutcome last = EditOutcome.Ignored;
        foreach (ConsoleKeyInfo key in keys)
        {
            last = _state.Handle(key);
        }

        return last;
    }

    private EditOutcome Type(string text) => Press(TestKeys.Text(text));

    private string Text => _state.Buffer.Text;

    /// <summary>The text with a '|' where the cursor is.</summary>
    private string WithCursor => Text.Insert(_state.Buffer.Cursor, "|");

    private void Submit(string line)
    {
        _state.Reset();
        Type(line);
        Assert.Equal(EditOutcome.Submitted, Press(TestKeys.Enter));
    }

    [Fact]
    public void Typing_and_cursor_keys()
    {
        Assert.Equal(EditOutcome.Changed, Type("hello"));
        Press(TestKeys.Left, TestKeys.Left);
        Type("X");
        Assert.Equal("helX|lo", WithCursor);
        Press(TestKeys.Home);
        Assert.Equal("|helXlo", WithCursor);
        Press(TestKeys.Right);
        Assert.Equal("h|elXlo", WithCursor);
        Press(TestKeys.End);
        Assert.Equal("helXlo|", WithCursor);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Emacs_control_keys(bool windows)
    {
        ConsoleKeyInfo Ctrl(char letter) => windows ? TestKeys.CtrlWindows(letter) : TestKeys.Ctrl(letter);

        Type("hello world");
        Press(Ctrl('a'));
        Assert.Equal("|hello world", WithCursor);
        Press(Ctrl('f'), Ctrl('f'));
        Assert.Equal("he|llo world", WithCursor);
        Press(Ctrl('b'));
        Assert.Equal("h|ello world", WithCursor);
        Press(Ctrl('e'));
        Assert.Equal("hello world|", WithCursor);
        Press(Ctrl('w'));
        Assert.Equal("hello |", WithCursor);
        Press(Ctrl('y'));
        Assert.Equal("hello world|", WithCursor);
        Press(TestKeys.Left, TestKeys.Left, TestKeys.Left, Ctrl('k'));
        Assert.Equal("hello wo|", WithCursor);
        Press(TestKeys.Left, Ctrl('u'));
        Assert.Equal("|o", WithCursor);
        Press(Ctrl('d'));
        Assert.Equal("|", WithCursor);
    }

    [Fact]
    public void Backspace_Ctrl_H_and_Delete()
    {
        Type("abcdef");
        Press(TestKeys.Backspace);
        Assert.Equal("abcde|", WithCursor);
        Press(TestKeys.CtrlH);
        Assert.Equal("abcd|", WithCursor);
        Press(TestKeys.Home, TestKeys.Delete);
        Assert.Equal("|bcd", WithCursor);
        Assert.Equal(EditOutcome.Ignored, Press(TestKeys.Backspace));
    }

    [Fact]
    public void Word_keys()
    {
        Type("one two three");
        Press(TestKeys.Key(ConsoleKey.LeftArrow, control: true));
        Assert.Equal("one two |three", WithCursor);
        Press(TestKeys.Alt('b'));
        Assert.Equal("one |two three", WithCursor);
        Press(TestKeys.Key(ConsoleKey.RightArrow, alt: true));
        Assert.Equal("one two| three", WithCursor);
        Press(TestKeys.Alt('f'));
        Assert.Equal("one two three|", WithCursor);
        Press(new ConsoleKeyInfo('\u007f', ConsoleKey.Backspace, false, true, false)); // Alt+Backspace
        Assert.Equal("one two |", WithCursor);
        Press(TestKeys.Home, TestKeys.Alt('d'));
        Assert.Equal("| two ", WithCursor);
        Press(TestKeys.Key(ConsoleKey.Delete, control: true));
        Assert.Equal("| ", WithCursor);
    }

    [Fact]
    public void Ctrl_D_ends_input_only_on_an_empty_line()
    {
        Assert.Equal(EditOutcome.EndOfInput, Press(TestKeys.Ctrl('d')));
        Type("ab");
        Assert.Equal(EditOutcome.Ignored, Press(TestKeys.Ctrl('d'))); // at the end: nothing to delete
        Press(TestKeys.Left);
        Assert.Equal(EditOutcome.Changed, Press(TestKeys.Ctrl('d')));
        Assert.Equal("a|", WithCursor);
    }

    [Fact]
    public void Ctrl_C_interrupts()
    {
        Type("half a thought");
        Assert.Equal(EditOutcome.Interrupted, Press(TestKeys.Ctrl('c')));
        Assert.Equal(EditOutcome.Interrupted, Press(TestKeys.CtrlWindows('c')));
    }

    [Fact]
    public void Ctrl_L_asks_for_a_clear_screen() => Assert.Equal(EditOutcome.ClearScreen, Press(TestKeys.Ctrl('l')));

    [Fact]
    public void Enter_submits_and_records_history()
    {
        Submit("first");
        Submit("second");
        Submit("second");
        Submit("");
        Assert.Equal(2, _state.History.Count);
        Assert.Equal("second", _state.History[1]);
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_keep_the_line_being_typed()
    {
        Submit("one");
        Submit("two");
        _state.Reset();
        Type("draft");
        Press(TestKeys.Up);
        Assert.Equal("two|", WithCursor);
        Press(TestKeys.Up);
        Assert.Equal("one", Text);
        Assert.Equal(EditOutcome.Ignored, Press(TestKeys.Up));
        Assert.Equal("one", Text);
        Press(TestKeys.Down, TestKeys.Down);
        Assert.Equal("draft|", WithCursor);
        Assert.Equal(EditOutcome.Ignored, Press(TestKeys.Down));

        // Ctrl+P / Ctrl+N do the same; an edited entry keeps its edit while walking.
        Press(TestKeys.Ctrl('p'));
        Type("!");
        Press(TestKeys.Ctrl('p'), TestKeys.Ctrl('n'));
        Assert.Equal("two!", Text);
        Press(TestKeys.Ctrl('n'));
        Assert.Equal("draft", Text);
        Assert.Equal("two", _state.History[1]); // the history itself is unchanged
    }

    [Fact]
    public void Control_characters_and_escape_keys_never_enter_the_line()
    {
        for (int c = 0; c < 0xA0; c++)
        {
            if (c is >= 0x20 and < 0x7F || c is '\r' or '\n')
            {
                continue;
            }

            foreach ((bool control, bool alt) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                _state.Handle(new ConsoleKeyInfo((char)c, default, false, alt, control));
                _state.Handle(new ConsoleKeyInfo((char)c, ConsoleKey.Escape, false, alt, control));
            }
        }

        Press(TestKeys.Escape, TestKeys.Tab, TestKeys.Key(ConsoleKey.F1), TestKeys.Key(ConsoleKey.PageUp), TestKeys.Key(ConsoleKey.Insert));
        Press(TestKeys.Alt('x'), TestKeys.Ctrl('q'), TestKeys.Ctrl('t'), TestKeys.Ctrl('z'));
        Assert.DoesNotContain(Text, char.IsControl);
        Assert.DoesNotContain(Text, char.IsLetter); // Alt+x and Ctrl+letters are commands, never text
    }

    [Fact]
    public void Random_keys_never_put_control_characters_or_lone_surrogates_in_the_line()
    {
        var random = new Random(1234);
        ConsoleKey[] keys = Enum.GetValues<ConsoleKey>();
        for (int i = 0; i < 20000; i++)
        {
            char c = random.Next(4) switch
            {
                0 => (char)random.Next(0x00, 0x40),
                1 => (char)random.Next(0x80, 0xA0),
                2 => (char)random.Next(0xD800, 0xE000),
                _ => (char)random.Next(0, 0x10000),
            };
            var key = new ConsoleKeyInfo(c, keys[random.Next(keys.Length)], random.Next(2) == 0, random.Next(4) == 0, random.Next(4) == 0);
            EditOutcome outcome = _state.Handle(key, moreInputPending: random.Next(2) == 0);
            if (outcome is EditOutcome.Submitted or EditOutcome.EndOfInput or EditOutcome.Interrupted)
            {
                _state.Reset();
            }

            string text = Text;
            Assert.DoesNotContain(text, char.IsControl);
            Assert.Equal(text, EditBuffer.Sanitize(text));
        }
    }

    [Fact]
    public void An_escape_sequence_the_console_could_not_decode_is_swallowed()
    {
        // ESC [ 2 0 0 ~ arriving at once: the Escape was followed by more input.
        _state.Handle(TestKeys.Escape, moreInputPending: true);
        Type("[200~");
        Assert.Equal("", Text);
        Type("ok");
        Assert.Equal("ok", Text);

        // ESC O P (an unknown SS3 key)
        _state.Handle(TestKeys.Escape, moreInputPending: true);
        Type("OP!");
        Assert.Equal("ok!", Text);
    }

    [Fact]
    public void A_lone_escape_key_does_not_swallow_what_is_typed_next()
    {
        _state.Handle(TestKeys.Escape, moreInputPending: false);
        Type("[x");
        Assert.Equal("[x", Text);
    }

    [Fact]
    public void A_character_outside_the_BMP_typed_as_two_keys_is_one_character()
    {
        Type("a\U0001F600");
        Assert.Equal("a\U0001F600", Text);
        Press(TestKeys.Left);
        Assert.Equal("a|\U0001F600", WithCursor);
        Press(TestKeys.End, TestKeys.Backspace);
        Assert.Equal("a|", WithCursor);
    }

    [Fact]
    public void A_high_surrogate_not_followed_by_a_low_one_is_dropped()
    {
        Press(TestKeys.Char('\uD83D'), TestKeys.Char('x'), TestKeys.Char('\uDE00'), TestKeys.Char('y'));
        Assert.Equal("xy", Text);
    }

    [Fact]
    public void AltGr_characters_are_typed()
    {
        // Windows reports AltGr+Q on a German keyboard as Ctrl+Alt+Q with KeyChar '@'.
        Press(new ConsoleKeyInfo('@', ConsoleKey.Q, false, true, true));
        Assert.Equal("@", Text);
    }

    [Fact]
    public void Non_ASCII_text_is_typed()
    {
        Type("héllo wörld 漢字 e\u0301");
        Assert.Equal("héllo wörld 漢字 e\u0301", Text);
    }
}
