namespace SecureChat.Cli.Tests.Terminal;

/// <summary>Keys as .NET reports them on Unix (the default here) or Windows (where noted).</summary>
internal static class TestKeys
{
    public static ConsoleKeyInfo Enter => new('\r', ConsoleKey.Enter, false, false, false);

    public static ConsoleKeyInfo Escape => new('\u001b', ConsoleKey.Escape, false, false, false);

    public static ConsoleKeyInfo Tab => new('\t', ConsoleKey.Tab, false, false, false);

    /// <summary>Backspace sends DEL (VERASE) on Unix terminals.</summary>
    public static ConsoleKeyInfo Backspace => new('\u007f', ConsoleKey.Backspace, false, false, false);

    /// <summary>Ctrl+H sends BS, which .NET reports as Backspace with Control.</summary>
    public static ConsoleKeyInfo CtrlH => new('\b', ConsoleKey.Backspace, false, false, true);

    public static ConsoleKeyInfo Delete => Key(ConsoleKey.Delete);

    public static ConsoleKeyInfo Left => Key(ConsoleKey.LeftArrow);

    public static ConsoleKeyInfo Right => Key(ConsoleKey.RightArrow);

    public static ConsoleKeyInfo Up => Key(ConsoleKey.UpArrow);

    public static ConsoleKeyInfo Down => Key(ConsoleKey.DownArrow);

    public static ConsoleKeyInfo Home => Key(ConsoleKey.Home);

    public static ConsoleKeyInfo End => Key(ConsoleKey.End);

    /// <summary>A key with no character (arrows, function keys), optionally with modifiers.</summary>
    public static ConsoleKeyInfo Key(ConsoleKey key, bool control = false, bool alt = false, bool shift = false) =>
        new('\0', key, shift, alt, control);

    /// <summary>Ctrl+letter as .NET reports it on Unix: no KeyChar.</summary>
    public static ConsoleKeyInfo Ctrl(char letter) => new('\0', LetterKey(letter), false, false, true);

    /// <summary>Ctrl+letter as .NET reports it on Windows: the C0 control character as KeyChar.</summary>
    public static ConsoleKeyInfo CtrlWindows(char letter) =>
        new((char)(char.ToLowerInvariant(letter) - 'a' + 1), LetterKey(letter), false, false, true);

    public static ConsoleKeyInfo Alt(char letter) => new(letter, LetterKey(letter), false, true, false);

    public static ConsoleKeyInfo Char(char c)
    {
        ConsoleKey key = c switch
        {
            >= 'a' and <= 'z' or >= 'A' and <= 'Z' => LetterKey(c),
            >= '0' and <= '9' => ConsoleKey.D0 + (c - '0'),
            ' ' => ConsoleKey.Spacebar,
            _ => default,
        };
        return new ConsoleKeyInfo(c, key, char.IsAsciiLetterUpper(c), false, false);
    }

    /// <summary>One key per UTF-16 code unit, as .NET delivers text (a non-BMP character is two keys).</summary>
    public static ConsoleKeyInfo[] Text(string text) => [.. text.Select(Char)];

    private static ConsoleKey LetterKey(char letter) => ConsoleKey.A + (char.ToLowerInvariant(letter) - 'a');
}
