using SecureChat.Cli.Terminal;

namespace SecureChat.Cli.Chat;

/// <summary>
/// Typed lines from a terminal through the <see cref="LineEditor"/>, which keeps the input line at
/// the bottom while messages are printed above it. One per process: the editor's key reader must
/// be the only reader of the console.
/// </summary>
internal sealed class TerminalInput : IChatInput
{
    private readonly IConsoleDriver _console;
    private readonly LineEditor _editor;

    public TerminalInput()
        : this(new SystemConsoleDriver())
    {
    }

    /// <summary>Over any console driver (a fake one in tests); the input owns and disposes it.</summary>
    internal TerminalInput(IConsoleDriver console)
    {
        _console = console;
        _editor = new LineEditor(_console, "> ");
    }

    /// <summary>Prints above the input line (already sanitised text), wrapped with continuation rows indented.</summary>
    public void WriteAbove(string text, int hangingIndent) => _editor.WriteAbove(text, hangingIndent);

    /// <summary>Progress bars and other status lines, kept between the messages and the input row.</summary>
    public void SetStatus(IReadOnlyList<string> lines) => _editor.SetStatus(lines);

    public async Task<InputLine> ReadAsync(CancellationToken cancellationToken)
    {
        LineResult result = await _editor.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return result.Kind switch
        {
            LineResultKind.Line => new InputLine(InputKind.Line, result.Text),
            LineResultKind.EndOfInput => InputLine.End,
            _ => InputLine.Interrupt,
        };
    }

    public void ForgetHistory() => _editor.ClearHistory();

    public void Dispose()
    {
        _editor.Dispose();
        (_console as IDisposable)?.Dispose();
    }
}
