namespace SecureChat.Cli.Terminal;

/// <summary>What a key did to the line being edited.</summary>
internal enum EditOutcome
{
    /// <summary>Nothing changed; no redraw needed.</summary>
    Ignored,

    /// <summary>The text, the cursor or both changed; redraw.</summary>
    Changed,

    /// <summary>Ctrl+L: clear the screen, then redraw.</summary>
    ClearScreen,

    /// <summary>Enter: the line in <see cref="LineEditState.Buffer"/> is submitted (and already in the history).</summary>
    Submitted,

    /// <summary>Ctrl+D on an empty line.</summary>
    EndOfInput,

    /// <summary>Ctrl+C.</summary>
    Interrupted,
}

/// <summary>
/// The key bindings, with no I/O: turns <see cref="ConsoleKeyInfo"/>s into edits of an
/// <see cref="EditBuffer"/> and walks a <see cref="History"/>. One instance serves successive
/// reads; call <see cref="Reset"/> at the start of each.
/// </summary>
/// <remarks>
/// Bindings (emacs-style, like bash): printable characters insert; Left/Right, Ctrl+B/Ctrl+F move by
/// one character; Ctrl/Alt+Left/Right and Alt+B/Alt+F by word; Home/End, Ctrl+A/Ctrl+E to the ends;
/// Backspace and Ctrl+H delete before the cursor, Delete after it; Ctrl+D deletes after it, or ends
/// input on an empty line; Ctrl+U, Ctrl+K delete to the start, to the end; Ctrl+W deletes back to the
/// previous whitespace; Alt+Backspace (and Ctrl+Backspace where the terminal tells it apart from
/// Ctrl+H) and Alt+D, Ctrl+Delete delete a word; Ctrl+Y re-inserts the last deleted text;
/// Up/Down, Ctrl+P/Ctrl+N walk the history; Ctrl+L clears the screen; Ctrl+C interrupts.
/// Tab, Escape, function keys and every other control key are ignored.
/// </remarks>
internal sealed class LineEditState(History history)
{
    /// <summary>Longest escape sequence we swallow when .NET could not decode it.</summary>
    private const int MaxSequenceLength = 32;

    /// <summary>Edits made to history entries (and, at index history.Count, the new line) during this read.</summary>
    private readonly Dictionary<int, string> _edits = [];
    private int _historyIndex;
    private string _killed = "";
    private char? _pendingHighSurrogate;
    private EscapeState _escape;
    private int _sequenceLength;

    private enum EscapeState
    {
        None,
        AfterEscape,
        ControlSequence,
        SingleShift,
    }

    public EditBuffer Buffer { get; } = new();

    public History History { get; } = history;

    /// <summary>Starts a new line: empty buffer, history position after the newest entry.</summary>
    public void Reset()
    {
        Buffer.Clear();
        _edits.Clear();
        _historyIndex = History.Count;
        _pendingHighSurrogate = null;
        _escape = EscapeState.None;
    }

    /// <summary>
    /// Applies one key. <paramref name="moreInputPending"/> says whether more input was already
    /// waiting when the key was read: an Escape followed at once by more input is the start of an
    /// escape sequence the console could not decode, and the rest of it is swallowed rather than
    /// typed into the line.
    /// </summary>
    public EditOutcome Handle(ConsoleKeyInfo key, bool moreInputPending = false)
    {
        if (SwallowEscapeSequence(key, moreInputPending))
        {
            return EditOutcome.Ignored;
        }

        char ch = key.KeyChar;

        // Characters outside the BMP arrive as two keys, one per UTF-16 code unit.
        if (_pendingHighSurrogate is char high)
        {
            _pendingHighSurrogate = null;
            if (char.IsLowSurrogate(ch))
            {
                return Changed(Buffer.Insert(string.Concat(high, ch)));
            }
        }

        ConsoleKey code = key.Key;
        bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
        bool alt = (key.Modifiers & ConsoleModifiers.Alt) != 0;

        // Ctrl+letter as a raw C0 character (Windows reports it this way, some drivers only this way).
        if (ch is >= '\u0001' and <= '\u001A' and not '\b' and not '\t' and not '\n' and not '\r')
        {
            code = ConsoleKey.A + (ch - 1);
            control = true;
            alt = false;
        }

        if (code == ConsoleKey.Enter || ch is '\r' or '\n')
        {
            History.Add(Buffer.Text);
            return EditOutcome.Submitted;
        }

        switch (code)
        {
            case ConsoleKey.Escape:
            case ConsoleKey.Tab:
                return EditOutcome.Ignored;
            case ConsoleKey.Backspace:
                // Alt+Backspace everywhere; Ctrl+Backspace on Windows (DEL). On Unix Ctrl+Backspace is Ctrl+H.
                return alt || (control && ch == '\u007F') ? Kill(Buffer.DeleteWordBackward()) : Changed(Buffer.DeleteBackward());
            case ConsoleKey.Delete:
                return alt || control ? Kill(Buffer.DeleteWordForward()) : Changed(Buffer.DeleteForward());
            case ConsoleKey.LeftArrow:
                return Changed(alt || control ? Buffer.MoveWordLeft() : Buffer.MoveLeft());
            case ConsoleKey.RightArrow:
                return Changed(alt || control ? Buffer.MoveWordRight() : Buffer.MoveRight());
            case ConsoleKey.Home:
                return Changed(Buffer.MoveHome());
            case ConsoleKey.End:
                return Changed(Buffer.MoveEnd());
            case ConsoleKey.UpArrow:
                return Changed(WalkHistory(-1));
            case ConsoleKey.DownArrow:
                return Changed(WalkHistory(+1));
            default:
                break;
        }

        if (control && !alt)
        {
            return HandleControl(code);
        }

        if (alt && !control)
        {
            // Alt+letter is a command, never text.
            return code switch
            {
                ConsoleKey.B => Changed(Buffer.MoveWordLeft()),
                ConsoleKey.F => Changed(Buffer.MoveWordRight()),
                ConsoleKey.D => Kill(Buffer.DeleteWordForward()),
                _ => EditOutcome.Ignored,
            };
        }

        // Printable text; Ctrl+Alt together is AltGr on Windows keyboards, which types characters.
        if (char.IsHighSurrogate(ch))
        {
            _pendingHighSurrogate = ch;
            return EditOutcome.Ignored;
        }

        return ch == '\0' || char.IsSurrogate(ch) ? EditOutcome.Ignored : Changed(Buffer.Insert(ch.ToString()));
    }

    private EditOutcome HandleControl(ConsoleKey code) => code switch
    {
        ConsoleKey.A => Changed(Buffer.MoveHome()),
        ConsoleKey.B => Changed(Buffer.MoveLeft()),
        ConsoleKey.C => EditOutcome.Interrupted,
        ConsoleKey.D => Buffer.IsEmpty ? EditOutcome.EndOfInput : Changed(Buffer.DeleteForward()),
        ConsoleKey.E => Changed(Buffer.MoveEnd()),
        ConsoleKey.F => Changed(Buffer.MoveRight()),
        ConsoleKey.H => Changed(Buffer.DeleteBackward()),
        ConsoleKey.K => Kill(Buffer.DeleteToEnd()),
        ConsoleKey.L => EditOutcome.ClearScreen,
        ConsoleKey.N => Changed(WalkHistory(+1)),
        ConsoleKey.P => Changed(WalkHistory(-1)),
        ConsoleKey.U => Kill(Buffer.DeleteToStart()),
        ConsoleKey.W => Kill(Buffer.DeleteWhitespaceWordBackward()),
        ConsoleKey.Y => Changed(Buffer.Insert(_killed)),
        _ => EditOutcome.Ignored,
    };

    private EditOutcome Kill(string deleted)
    {
        if (deleted.Length == 0)
        {
            return EditOutcome.Ignored;
        }

        _killed = deleted;
        return EditOutcome.Changed;
    }

    private static EditOutcome Changed(bool changed) => changed ? EditOutcome.Changed : EditOutcome.Ignored;

    /// <summary>Moves <paramref name="step"/> entries through the history, remembering edits made to the entry left.</summary>
    private bool WalkHistory(int step)
    {
        int target = _historyIndex + step;
        if (target < 0 || target > History.Count)
        {
            return false;
        }

        string current = Buffer.Text;
        string original = _historyIndex < History.Count ? History[_historyIndex] : "";
        if (current == original)
        {
            _edits.Remove(_historyIndex);
        }
        else
        {
            _edits[_historyIndex] = current;
        }

        _historyIndex = target;
        Buffer.SetText(_edits.TryGetValue(target, out string? edited) ? edited : target < History.Count ? History[target] : "");
        return true;
    }

    /// <summary>
    /// .NET decodes the escape sequences of the usual keys itself; one it does not know comes through
    /// as Escape followed by its characters ("[", "1", ";", …). Those must not be typed into the line.
    /// </summary>
    private bool SwallowEscapeSequence(ConsoleKeyInfo key, bool moreInputPending)
    {
        char ch = key.KeyChar;
        switch (_escape)
        {
            case EscapeState.AfterEscape:
                _escape = EscapeState.None;
                if (ch == '[')
                {
                    _escape = EscapeState.ControlSequence;
                    _sequenceLength = 0;
                    return true;
                }

                if (ch == 'O')
                {
                    _escape = EscapeState.SingleShift;
                    return true;
                }

                break;
            case EscapeState.ControlSequence:
                // Parameter and intermediate bytes, then one final byte.
                if (ch is >= '\u0020' and <= '\u003F' && ++_sequenceLength <= MaxSequenceLength)
                {
                    return true;
                }

                _escape = EscapeState.None;
                if (ch is >= '\u0040' and <= '\u007E')
                {
                    return true;
                }

                break;
            case EscapeState.SingleShift:
                _escape = EscapeState.None;
                if (ch is >= '\u0040' and <= '\u007E')
                {
                    return true;
                }

                break;
            default:
                break;
        }

        if ((key.Key == ConsoleKey.Escape || ch == '\u001B') && moreInputPending)
        {
            _escape = EscapeState.AfterEscape;
        }

        return false;
    }
}
