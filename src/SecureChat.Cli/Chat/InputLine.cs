namespace SecureChat.Cli.Chat;

/// <summary>What the user did: typed a line, ended input (Ctrl+D, end of a pipe) or interrupted (Ctrl+C).</summary>
internal readonly record struct InputLine(InputKind Kind, string Text = "")
{
    public static InputLine End => new(InputKind.End);

    public static InputLine Interrupt => new(InputKind.Interrupt);
}

internal enum InputKind
{
    Line,
    End,
    Interrupt,
}

/// <summary>A source of typed lines, shared by every conversation of one process.</summary>
internal interface IChatInput : IDisposable
{
    Task<InputLine> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Forgets the lines typed so far (the input history), so that one peer's conversation cannot
    /// be recalled and resent to the next one (listen --keep-open).
    /// </summary>
    void ForgetHistory();
}
