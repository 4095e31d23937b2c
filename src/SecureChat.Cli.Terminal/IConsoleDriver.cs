namespace SecureChat.Cli.Terminal;

/// <summary>
/// The few console operations <see cref="LineEditor"/> needs, so that it can be driven by a fake in
/// tests. <see cref="ReadKey"/> is called from one dedicated thread while <see cref="Write"/> may be
/// called from others (never concurrently with itself: the editor serializes its writes), so an
/// implementation must allow a write while a read is blocked.
/// </summary>
internal interface IConsoleDriver
{
    /// <summary>Raised, on any thread, when the terminal's size changes. The editor redraws its row.</summary>
    event EventHandler? Resized;

    /// <summary>Columns of the terminal; 0 or less if unknown (the editor then assumes 80).</summary>
    int Width { get; }

    /// <summary>Whether a key can be read without blocking. Used to recognise escape sequences; false if unknown.</summary>
    bool KeyAvailable { get; }

    /// <summary>Blocks until a key is pressed and returns it, without echoing it.</summary>
    ConsoleKeyInfo ReadKey();

    /// <summary>Writes raw text, which may contain VT100/ANSI control sequences, and flushes it.</summary>
    void Write(string text);
}
