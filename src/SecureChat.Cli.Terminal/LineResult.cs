namespace SecureChat.Cli.Terminal;

/// <summary>How a <see cref="LineEditor.ReadLineAsync"/> ended.</summary>
internal enum LineResultKind
{
    /// <summary>Enter: <see cref="LineResult.Text"/> holds the line (possibly empty).</summary>
    Line,

    /// <summary>Ctrl+D on an empty line.</summary>
    EndOfInput,

    /// <summary>Ctrl+C.</summary>
    Interrupt,
}

/// <summary>The outcome of one <see cref="LineEditor.ReadLineAsync"/>.</summary>
/// <param name="Kind">What ended the read.</param>
/// <param name="Text">The submitted line for <see cref="LineResultKind.Line"/>, otherwise "". Never holds control characters.</param>
internal readonly record struct LineResult(LineResultKind Kind, string Text)
{
    public static LineResult EndOfInput => new(LineResultKind.EndOfInput, "");

    public static LineResult Interrupt => new(LineResultKind.Interrupt, "");

    public static LineResult Line(string text) => new(LineResultKind.Line, text);
}
