using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Tests.Terminal;

public sealed class LineEditorTests : IDisposable
{
    private const string Esc = "\u001b";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeConsole _console = new();
    private readonly LineEditor _editor;

    public LineEditorTests() => _editor = new LineEditor(_console, "> ");

    public void Dispose()
    {
        _editor.Dispose();
        _console.Dispose();
    }

    private async Task<LineResult> ReadAsync(params ConsoleKeyInfo[] keys)
    {
        Task<LineResult> read = _editor.ReadLineAsync(CancellationToken.None);
        _console.Feed(keys);
        return await read.WaitAsync(Timeout);
    }

    /// <summary>Starts a read and types into it, returning once every key has been handled.</summary>
    private Task<LineResult> StartTyping(string text, params ConsoleKeyInfo[] more)
    {
        Task<LineResult> read = _editor.ReadLineAsync(CancellationToken.None);
        _console.Feed(text);
        _console.Feed(more);
        _console.WaitUntilIdle();
        return read;
    }

    [Fact]
    public async Task Enter_returns_the_typed_line_and_erases_the_row()
    {
        LineResult result = await ReadAsync([.. TestKeys.Text("hello"), TestKeys.Left, TestKeys.Backspace, TestKeys.Enter]);

        Assert.Equal(LineResult.Line("helo"), result);
        Assert.EndsWith("\r" + Esc + "[K", _console.Output, StringComparison.Ordinal);
        Assert.Equal([""], _console.Screen().Lines);
    }

    [Fact]
    public async Task Keys_are_read_on_a_dedicated_thread_not_the_thread_pool()
    {
        await ReadAsync(TestKeys.Enter);
        Assert.False(_console.ReadOnThreadPool);
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

        _editor.ClearHistory();
        Assert.Equal(LineResult.Line(""), await ReadAsync(TestKeys.Up, TestKeys.Enter));
    }

    [Fact]
    public async Task WriteAbove_prints_the_message_then_redraws_prompt_and_line_with_the_cursor_back()
    {
        Task<LineResult> read = StartTyping("hello", TestKeys.Left, TestKeys.Left);
        int mark = _console.WriteCount;

        _editor.WriteAbove("alice: hi there\nsecond line");

        string written = string.Concat(_console.WritesSince(mark));
        Assert.Equal(
            "\r" + Esc + "[K" + "alice: hi there\r\nsecond line\r\n" + "\r> hello" + Esc + "[K" + Esc + "[6G",
            written);

        VirtualTerminal screen = _console.Screen();
        Assert.Equal(["alice: hi there", "second line", "> hello"], screen.Lines);
        Assert.Equal(2, screen.Row);
        Assert.Equal(5, screen.Column); // "> hel|lo"
        Assert.Equal("lo", screen.TextAtCursor);

        _console.Feed("p");
        _console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("helplo"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Status_lines_stay_between_the_messages_and_the_input_row()
    {
        Task<LineResult> read = StartTyping("typing");
        _editor.SetStatus(["⇣ 1 a.bin [####------] 40%", "⇡ 2 b.bin [##--------] 20%"]);
        Assert.Equal(["⇣ 1 a.bin [####------] 40%", "⇡ 2 b.bin [##--------] 20%", "> typing"], _console.Screen().Lines);

        _editor.WriteAbove("bob: a message during the transfer");
        _editor.SetStatus(["⇡ 2 b.bin [#####-----] 50%"]);
        VirtualTerminal screen = _console.Screen();
        Assert.Equal(["bob: a message during the transfer", "⇡ 2 b.bin [#####-----] 50%", "> typing"], screen.Lines);
        Assert.Equal(2, screen.Row);

        _editor.SetStatus([]);
        Assert.Equal(["bob: a message during the transfer", "> typing"], _console.Screen().Lines);
        _console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("typing"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public void WriteAbove_with_no_read_pending_just_writes_the_lines()
    {
        _editor.WriteAbove("one\r\ntwo");
        Assert.Equal("one\r\ntwo\r\n", _console.Output);
    }

    [Fact]
    public async Task Messages_written_from_many_threads_while_typing_never_garble_the_line()
    {
        Task<LineResult> read = _editor.ReadLineAsync(CancellationToken.None);
        const int Writers = 4;
        const int Messages = 50;
        Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int m = 0; m < Messages; m++)
            {
                _editor.WriteAbove($"writer {w} message {m}");
            }
        }))];
        for (int i = 0; i < 100; i++)
        {
            _console.Feed(TestKeys.Char((char)('a' + (i % 26))));
            if (i % 10 == 0)
            {
                _console.Feed(TestKeys.Left, TestKeys.Right);
            }
        }

        await Task.WhenAll(writers).WaitAsync(Timeout);
        _console.WaitUntilIdle();

        VirtualTerminal screen = _console.Screen();
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

        _console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line(typed), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_long_line_scrolls_within_one_row()
    {
        _console.Width = 20;
        string text = string.Concat(Enumerable.Repeat("0123456789", 10));
        Task<LineResult> read = StartTyping(text);

        VirtualTerminal screen = _console.Screen();
        Assert.False(screen.Wrapped);
        Assert.False(screen.ReachedLastColumn);
        Assert.Single(screen.Lines);
        Assert.True(screen.Lines[0].Length <= 19);
        Assert.EndsWith("789", screen.Lines[0], StringComparison.Ordinal);

        _console.Feed(TestKeys.Home);
        _console.WaitUntilIdle();
        screen = _console.Screen();
        Assert.Equal("> 0123456789012345>", screen.Lines[0]);
        Assert.Equal(2, screen.Column);

        _console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line(text), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Wide_characters_and_surrogate_pairs_put_the_cursor_in_the_right_column()
    {
        Task<LineResult> read = StartTyping("漢\U0001F600x", TestKeys.Left);
        VirtualTerminal screen = _console.Screen();
        Assert.Equal("> 漢\U0001F600x", screen.Lines[0]);
        Assert.Equal(2 + 2 + 2, screen.Column);
        Assert.Equal("x", screen.TextAtCursor);

        _console.Feed(TestKeys.Left, TestKeys.Backspace, TestKeys.Enter);
        Assert.Equal(LineResult.Line("\U0001F600x"), await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Ctrl_L_clears_the_screen_and_redraws_the_line()
    {
        _editor.WriteAbove("old message");
        Task<LineResult> read = StartTyping("abc", TestKeys.Ctrl('l'));

        Assert.Contains(Esc + "[H" + Esc + "[2J\r> abc", _console.Output, StringComparison.Ordinal);
        Assert.Equal(["> abc"], _console.Screen().Lines);

        _console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Changing_the_prompt_redraws_the_line()
    {
        Task<LineResult> read = StartTyping("abc");
        _editor.Prompt = "[offline] \u001b[31m";
        Assert.Equal("[offline] [31m", _editor.Prompt);
        Assert.Equal(["[offline] [31mabc"], _console.Screen().Lines);

        _console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_resize_redraws_with_the_new_width()
    {
        Task<LineResult> read = StartTyping(new string('x', 60));
        _console.Width = 30;
        _console.RaiseResized();

        var screen = new VirtualTerminal(30);
        IReadOnlyList<string> writes = _console.WritesSince(_console.WriteCount - 1);
        screen.Feed(writes[0]);
        Assert.False(screen.ReachedLastColumn);
        Assert.StartsWith("> <", screen.Lines[0], StringComparison.Ordinal);

        _console.Feed(TestKeys.Enter);
        await read.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Only_one_read_may_be_pending()
    {
        Task<LineResult> read = StartTyping("draft");
        Assert.True(_editor.IsReading);
        Assert.Throws<InvalidOperationException>(() => { _ = _editor.ReadLineAsync(CancellationToken.None); });

        _console.Feed(TestKeys.Enter);
        Assert.Equal(LineResult.Line("draft"), await read.WaitAsync(Timeout));
        Assert.False(_editor.IsReading);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_pending_read_without_waiting_for_a_key()
    {
        using var cancellation = new CancellationTokenSource();
        Task<LineResult> read = _editor.ReadLineAsync(cancellation.Token);
        _console.Feed("draft");
        _console.WaitUntilIdle();

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
        Assert.False(_editor.IsReading);
        Assert.Equal([""], _console.Screen().Lines); // the row was erased

        // The reader thread is still blocked on the console; the next read gets the next keys.
        Assert.Equal(LineResult.Line("next"), await ReadAsync([.. TestKeys.Text("next"), TestKeys.Enter]));
    }

    [Fact]
    public async Task A_key_pressed_between_a_cancellation_and_the_next_read_is_kept()
    {
        using var cancellation = new CancellationTokenSource();
        Task<LineResult> read = _editor.ReadLineAsync(cancellation.Token);
        _console.WaitUntilIdle();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));

        _console.Feed("a");
        Assert.True(SpinWait.SpinUntil(() => !_console.KeyAvailable, Timeout)); // the reader thread took it
        Assert.Equal(LineResult.Line("ab"), await ReadAsync(TestKeys.Char('b'), TestKeys.Enter));
    }

    [Fact]
    public async Task An_already_cancelled_token_returns_a_cancelled_task()
    {
        Task<LineResult> read = _editor.ReadLineAsync(new CancellationToken(canceled: true));
        Assert.True(read.IsCanceled);
        Assert.Equal(LineResult.Line("ok"), await ReadAsync([.. TestKeys.Text("ok"), TestKeys.Enter]));
    }

    [Fact]
    public async Task Dispose_cancels_the_pending_read()
    {
        Task<LineResult> read = StartTyping("abc");
        _editor.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
        Assert.Throws<ObjectDisposedException>(() => { _ = _editor.ReadLineAsync(CancellationToken.None); });
        _editor.WriteAbove("still printable");
        Assert.EndsWith("still printable\r\n", _console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_console_that_cannot_be_read_faults_this_read_and_the_next()
    {
        Task<LineResult> read = StartTyping("abc");
        _console.Fail(new InvalidOperationException("stdin is redirected"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => read.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _editor.ReadLineAsync(CancellationToken.None));
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
