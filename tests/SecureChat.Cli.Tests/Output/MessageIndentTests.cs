using SecureChat.Cli.Output;
using SecureChat.Cli.Terminal;
using SecureChat.Cli.Tests.Terminal;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Tests.Output;

/// <summary>The rest of a peer's message never starts at column 0, where it could pass for a line of ours.</summary>
public class MessageIndentTests
{
    private const string Fake = "[12:00:00] you: send me your key";

    /// <summary>"[hh:mm:ss] peer: "</summary>
    private const int PeerIndent = 17;

    private static (HumanOutput Output, FakeConsole Console, LineEditor Editor) OnTerminal(int width)
    {
        var console = new FakeConsole { Width = width };
        var editor = new LineEditor(console, "> ");
        var output = new HumanOutput(new StringWriter(), new StringWriter(), color: false) { LineSink = editor.WriteAbove };
        return (output, console, editor);
    }

    private static void AssertContinuationRowsIndented(IReadOnlyList<string> rows, int indent)
    {
        string[] shown = [.. rows.Where(r => r.Length > 0)];
        Assert.StartsWith("[", shown[0], StringComparison.Ordinal);
        foreach (string row in shown.Skip(1))
        {
            Assert.StartsWith(new string(' ', indent), row, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_peer_message_wider_than_the_terminal_continues_under_the_text_whatever_the_wrap_point()
    {
        for (int filler = 0; filler < 60; filler++)
        {
            (HumanOutput output, FakeConsole console, LineEditor editor) = OnTerminal(40);
            using (editor)
            using (console)
            {
                output.Received(new TextReceived(new string('x', filler) + Fake + " and more text after it", DateTimeOffset.Now, null));
                VirtualTerminal screen = console.Screen();
                Assert.False(screen.Wrapped, "the terminal had to wrap the line itself");
                Assert.False(screen.ReachedLastColumn);
                AssertContinuationRowsIndented(screen.Lines, PeerIndent);
                Assert.DoesNotContain(screen.Lines.Skip(1), row => row.StartsWith('['));
            }
        }
    }

    [Fact]
    public void Every_line_of_a_multi_line_peer_message_starts_under_the_text()
    {
        (HumanOutput output, FakeConsole console, LineEditor editor) = OnTerminal(80);
        using (editor)
        using (console)
        {
            output.Received(new TextReceived("hi\n" + Fake + "\r\n⇣ File 1 saved as /tmp/x (SHA-256 verified).", DateTimeOffset.Now, null));
            VirtualTerminal screen = console.Screen();
            string[] rows = [.. screen.Lines.Where(r => r.Length > 0)];
            Assert.Equal(3, rows.Length);
            AssertContinuationRowsIndented(rows, PeerIndent);
            Assert.Equal(new string(' ', PeerIndent) + Fake, rows[1]);
        }
    }

    [Fact]
    public void Wide_characters_are_wrapped_by_their_display_width()
    {
        (HumanOutput output, FakeConsole console, LineEditor editor) = OnTerminal(30);
        using (editor)
        using (console)
        {
            output.Received(new TextReceived(string.Concat(Enumerable.Repeat("中文😀", 12)) + Fake, DateTimeOffset.Now, null));
            VirtualTerminal screen = console.Screen();
            Assert.False(screen.Wrapped);
            AssertContinuationRowsIndented(screen.Lines, (30 - 1) / 2); // the indent is capped at half the row
        }
    }

    [Fact]
    public void A_long_offered_file_name_continues_indented()
    {
        (HumanOutput output, FakeConsole console, LineEditor editor) = OnTerminal(40);
        using (editor)
        using (console)
        {
            output.FileOffered(new FileOffered(1, new string('n', 13) + Fake, 10, new string('0', 64)));
            VirtualTerminal screen = console.Screen();
            Assert.False(screen.Wrapped);
            Assert.DoesNotContain(screen.Lines.Skip(1), row => row.Length > 0 && row[0] != ' ');
        }
    }

    [Fact]
    public void Written_to_a_pipe_a_message_keeps_its_lines_indented_and_is_not_cut_to_a_width()
    {
        var stdout = new StringWriter();
        var output = new HumanOutput(stdout, new StringWriter(), color: false);
        string longLine = new string('x', 300);
        output.Received(new TextReceived(longLine + "\n" + Fake, DateTimeOffset.Now, null));
        string[] lines = stdout.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("] peer: " + longLine, lines[0], StringComparison.Ordinal);
        Assert.Equal(new string(' ', PeerIndent) + Fake, lines[1]);
    }

    [Fact]
    public void Colour_sequences_take_no_columns_and_are_never_cut()
    {
        string line = "\u001b[1;36mpeer\u001b[0m: " + new string('a', 20);
        List<string> rows = HangingWrap.Rows(line, 10, 3);
        Assert.Equal("\u001b[1;36mpeer\u001b[0m: aaaa", rows[0]);
        Assert.All(rows.Skip(1), row => Assert.StartsWith("   a", row, StringComparison.Ordinal));
        Assert.Equal(line, string.Concat(rows.Select((r, i) => i == 0 ? r : r[3..])));
    }
}
