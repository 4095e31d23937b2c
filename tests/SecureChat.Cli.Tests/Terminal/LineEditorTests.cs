using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public sealed class LineEditorTests : IDisposable
{
    private const string Esc = "\u001b";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeConsole console = new();
    private readonly LineEditor editor;

    public LineEditorTests() => editor = new LineEditor(console, "> ");

    public void Dispose()
    {
        editor.Dispose();
        console.Dispose();
    }

    private async Task<LineResult> ReadAsync(params ConsoleKeyInfo[] keys)
    {
        Task<LineResult> read = editor.ReadLineAsync(CancellationToken.None);
        console.Feed(keys);
        return await read.WaitAsync(Timeout);
    }

    /// <summary>Starts a read and types into it, returning once every key has been handled.</summary>
    private Task<LineResult> StartTyping(string text, params ConsoleKeyInfo[] more)
    {
        Task<LineResult> read = editor.ReadLineAsync(CancellationToken.None);
        console.Feed(text);
        console.Feed(more);
        console.WaitUntilIdle();
        return read;
    }

    [Fact]
    public async Task Enter_returns_the_typed_line_and_erases_the_row()
    {
        LineResult result = await ReadAsync([.. TestKeys.Text("hello"), TestKeys.Left, TestKeys.Backspace, TestKeys.Enter]);

        Assert.Equal(LineResult.Line("helo"), result);
        Assert.EndsWith("\r" + Esc + "[K", console.Output, StringComparison.Ordinal);
        Assert.Equal([""], console.Screen().Lines);
    }

    [Fact]
    public async Task Keys_are_read_on_a_dedicated_thread_not_the_thread_pool()
    {
        await ReadAsync(TestKeys.Enter);
        Assert.False(console.ReadOnThreadPool);
    }

    [Fact]
    public async Task Ctrl_D_on_an_empty_line_ends_input_and_Ctrl_C_interrupts()
    {
        Assert.Equal(LineResult.EndOfInput, await ReadAsync(TestKeys.Ctrl('d')));
        Assert.Equal(LineResult.Interrupt, await ReadAsync([.. TestKeys.Text("abc"), TestKeys.Ctrl('c')]));
        Assert.Equal(LineResult.Line("ac"), await ReadAsync([.. TestKeys.Text("abc"), TestKeys.Left, TestKeys.Left, TestKeys.Ctrl('d'), TestKeys.Enter]));
    }

    [Fact]
    public async Task History_is_kept_across_reads()
    {
        await ReadAsync([.. TestKeys.Text("one"), TestKeys.Enter]);
        await ReadAsync([.. TestKeys.Text("two"), TestKeys.Enter]);
        await ReadAsync([.. TestKeys.Text("two"), TestKeys.Enter]);
        await ReadAsync(TestKeys.Enter); // empty lines are not remembered

        Assert.Equal(LineResult.Line("one"), await ReadAsync(TestKeys.Up, TestKeys.Up, TestKeys.Enter));
        Assert.Equal(LineResult.Line("one"), await ReadAsync(TestKeys.Up, TestKeys.Enter));
        Assert.Equal(LineResult.Line("x"), await ReadAsync(TestKeys.Char('x'), TestKeys.Up, TestKeys.Down, TestKeys.Enter));

        editor.ClearHistory();
        Assert.Equal(LineResult.Line(""), await ReadAsync(TestKeys.Up, TestKeys.Enter));
    }

    [Fact]
    public async Task WriteAbove_prints_the_message_then_redraws_prompt_and_line_with_the_cursor_back()
    {
        Task<LineResult> read = StartTyping("hello", TestKeys.Left, TestKeys.Left);
        int mark = console.WriteCount;

        editor.WriteAbove("alice: hi there\nsecond line");

        string written = string.Concat(console.WritesSince(mark));
        Assert.Equal(
            "\r" + Esc + "[K" + "alice: hi there\r\nsecond line\r\n" + "\r> hello" + Esc + "[K" + Esc + "[6G",
            written);

        VirtualTerminal screen = console.Screen();
        Assert.Equal(["alice: hi there", "second line", "> hello"], screen.Lines);
        Assert.Equal(2, screen.Row);
        Assert.Equal(5, screen.Column); // "> hel|lo"
        Assert.Equal("lo", screen.TextAtCursor);

        console.Feed("p");
        console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("helplo"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Status_lines_stay_between_the_messages_and_the_input_row()
    {
        Task<LineResult> read = StartTyping("typing");
        editor.SetStatus(["⇣ 1 a.bin [####------] 40%", "⇡ 2 b.bin [##--------] 20%"]);
        Assert.Equal(["⇣ 1 a.bin [####------] 40%", "⇡ 2 b.bin [##--------] 20%", "> typing"], console.Screen().Lines);

        editor.WriteAbove("bob: a message during the transfer");
        editor.SetStatus(["⇡ 2 b.bin [#####-----] 50%"]);
        VirtualTerminal screen = console.Screen();
        Assert.Equal(["bob: a message during the transfer", "⇡ 2 b.bin [#####-----] 50%", "> typing"], screen.Lines);
        Assert.Equal(2, screen.Row);

        editor.SetStatus([]);
        Assert.Equal(["bob: a message during the transfer", "> typing"], console.Screen().Lines);
        console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("typing"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public void WriteAbove_with_no_read_pending_just_writes_the_lines()
    {
        editor.WriteAbove("one\r\ntwo");
        Assert.Equal("one\r\ntwo\r\n", console.Output);
    }

    [Fact]
    public async Task Messages_written_from_many_threads_while_typing_never_garble_the_line()
    {
        Task<LineResult> read = editor.ReadLineAsync(CancellationToken.None);
        const int Writers = 4;
        const int Messages = 50;
        Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int m = 0; m < Messages; m++)
            {
                editor.WriteAbove($"writer {w} message {m}");
            }
        }))];
        for (int i = 0; i < 100; i++)
        {
            console.Feed(TestKeys.Char((char)('a' + (i % 26))));
            if (i % 10 == 0)
            {
                console.Feed(TestKeys.Left, TestKeys.Right);
            }
        }

        await Task.WhenAll(writers).WaitAsync(Timeout);
        console.WaitUntilIdle();

        VirtualTerminal screen = console.Screen();
        IReadOnlyList<string> lines = screen.Lines;
        Assert.Equal(Writers * Messages + 1, lines.Count);
        for (int w = 0; w < Writers; w++)
        {
            string prefix = $"writer {w} message ";
            Assert.Equal(
                Enumerable.Range(0, Messages).Select(m => prefix + m),
                lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)));
        }

        string typed = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + (i % 26))));
        Assert.StartsWith("> <", lines[^1], StringComparison.Ordinal); // scrolled: 100 characters on 80 columns
        Assert.EndsWith(typed[^40..], lines[^1], StringComparison.Ordinal);
        Assert.False(screen.ReachedLastColumn);
        Assert.Equal(lines.Count - 1, screen.Row);
        Assert.Equal(lines[^1].Length, screen.Column);

        console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line(typed), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_long_line_scrolls_within_one_row()
    {
        console.Width = 20;
        string text = string.Concat(Enumerable.Repeat("0123456789", 10));
        Task<LineResult> read = StartTyping(text);

        VirtualTerminal screen = console.Screen();
        Assert.False(screen.Wrapped);
        Assert.False(screen.ReachedLastColumn);
        Assert.Single(screen.Lines);
        Assert.True(screen.Lines[0].Length <= 19);
        Assert.EndsWith("789", screen.Lines[0], StringComparison.Ordinal);

        console.Feed(TestKeys.Home);
        console.WaitUntilIdle();
        screen = console.Screen();
        Assert.Equal("> 0123456789012345>", screen.Lines[0]);
        Assert.Equal(2, screen.Column);

        console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line(text), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Wide_characters_and_surrogate_pairs_put_the_cursor_in_the_right_column()
    {
        Task<LineResult> read = StartTyping("漢\U0001F600x", TestKeys.Left);
        VirtualTerminal screen = console.Screen();
        Assert.Equal("> 漢\U0001F600x", screen.Lines[0]);
        Assert.Equal(2 + 2 + 2, screen.Column);
        Assert.Equal("x", screen.TextAtCursor);

        console.Feed(TestKeys.Left, TestKeys.Backspace, TestKeys.Enter);
        Assert.Equal(LineResult.Line("\U0001F600x"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Ctrl_L_clears_the_screen_and_redraws_the_line()
    {
        editor.WriteAbove("old message");
        Task<LineResult> read = StartTyping("abc", TestKeys.Ctrl('l'));

        Assert.Contains(Esc + "[H" + Esc + "[2J\r> abc", console.Output, StringComparison.Ordinal);
        Assert.Equal(["> abc"], console.Screen().Lines);

        console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Changing_the_prompt_redraws_the_line()
    {
        Task<LineResult> read = StartTyping("abc");
        editor.Prompt = "[offline] \u001b[31m";
        Assert.Equal("[offline] [31m", editor.Prompt);
        Assert.Equal(["[offline] [31mabc"], console.Screen().Lines);

        console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_resize_redraws_with_the_new_width()
    {
        Task<LineResult> read = StartTyping(new string('x', 60));
        console.Width = 30;
        console.RaiseResized();

        var screen = new VirtualTerminal(30);
        IReadOnlyList<string> writes = console.WritesSince(console.WriteCount - 1);
        screen.Feed(writes[0]);
        Assert.False(screen.ReachedLastColumn);
        Assert.StartsWith("> <", screen.Lines[0], StringComparison.Ordinal);

        console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Only_one_read_may_be_pending()
    {
        Task<LineResult> read = StartTyping("draft");
        Assert.True(editor.IsReading);
        Assert.Throws<InvalidOperationException>(() => { _ = editor.ReadLineAsync(CancellationToken.None); });

        console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("draft"), await read.WaitAsync(Timeout));
        Assert.False(editor.IsReading);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_pending_read_without_waiting_for_a_key()
    {
        using var cancellation = new CancellationTokenSource();
        Task<LineResult> read = editor.ReadLineAsync(cancellation.Token);
        console.Feed("draft");
        console.WaitUntilIdle();

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
        Assert.False(editor.IsReading);
        Assert.Equal([""], console.Screen().Lines); // the row was erased

        // The reader thread is still blocked on the console; the next read gets the next keys.
        Assert.Equal(LineResult.Line("next"), await ReadAsync([.. TestKeys.Text("next"), TestKeys.Enter]));
    }

    [Fact]
    public async Task A_key_pressed_between_a_cancellation_and_the_next_read_is_kept()
    {
        using var cancellation = new CancellationTokenSource();
        Task<LineResult> read = editor.ReadLineAsync(cancellation.Token);
        console.WaitUntilIdle();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));

        console.Feed("a");
        Assert.True(SpinWait.SpinUntil(() => !console.KeyAvailable, Timeout)); // the reader thread took it
        Assert.Equal(LineResult.Line("ab"), await ReadAsync(TestKeys.Char('b'), TestKeys.Enter));
    }

    [Fact]
    public async Task An_already_cancelled_token_returns_a_cancelled_task()
    {
        Task<LineResult> read = editor.ReadLineAsync(new CancellationToken(canceled: true));
        Assert.True(read.IsCanceled);
        Assert.Equal(LineResult.Line("ok"), await ReadAsync([.. TestKeys.Text("ok"), TestKeys.Enter]));
    }

    [Fact]
    public async Task Dispose_cancels_the_pending_read()
    {
        Task<LineResult> read = StartTyping("abc");
        editor.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
        Assert.Throws<ObjectDisposedException>(() => { _ = editor.ReadLineAsync(CancellationToken.None); });
        editor.WriteAbove("still printable");
        Assert.EndsWith("still printable\r\n", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_console_that_cannot_be_read_faults_this_read_and_the_next()
    {
        Task<LineResult> read = StartTyping("abc");
        console.Fail(new InvalidOperationException("stdin is redirected"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => read.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => editor.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Escape_and_control_keys_never_reach_the_line()
    {
        LineResult result = await ReadAsync(
            TestKeys.Char('a'),
            TestKeys.Escape,
            TestKeys.Tab,
            TestKeys.Key(ConsoleKey.F5),
            new ConsoleKeyInfo('\u0007', default, false, false, false),
            new ConsoleKeyInfo('\u009b', default, false, false, false),
            TestKeys.Char('b'),
            TestKeys.Enter);
        Assert.Equal(LineResult.Line("ab"), result);
    }

    [Fact]
    public async Task An_undecoded_escape_sequence_arriving_at_once_is_not_typed()
    {
        // The fake reports more input pending while the rest of the sequence is queued.
        LineResult result = await ReadAsync([TestKeys.Char('x'), TestKeys.Escape, .. TestKeys.Text("[1;9Z"), TestKeys.Char('y'), TestKeys.Enter]);
        Assert.Equal(LineResult.Line("xy"), result);
    }
}
