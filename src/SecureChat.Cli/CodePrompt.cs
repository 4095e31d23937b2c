using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SecureChat.Rendezvous;

namespace SecureChat.Cli;

/// <summary>
/// The "Code:" prompt on the terminal: the code is typed into pinned memory (wiped afterwards),
/// Tab completes the current word from the list for its position (or lists the candidates), and a
/// code that does not check out is explained ("did you mean …?") and asked for again, before
/// anything is sent. Ctrl+C or Ctrl+D cancels.
/// </summary>
internal static class CodePrompt
{
    /// <summary>The most candidates listed after a Tab.</summary>
    public const int MaxListed = 32;

    private const string Prompt = "Code: ";

    /// <summary>
    /// Where the prompt and the typed code are echoed: the terminal itself. Not stderr when stderr
    /// is redirected (`2>>chat.log` would write the code's words to the file): then /dev/tty, or
    /// nowhere when there is none.
    /// </summary>
    private static TextWriter Echo { get; } = OpenEcho();

    private static TextWriter OpenEcho()
    {
        if (!Console.IsErrorRedirected)
        {
            return Console.Error;
        }

        try
        {
            return new StreamWriter(new FileStream("/dev/tty", FileMode.Open, FileAccess.Write)) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return TextWriter.Null;
        }
    }

    /// <exception cref="UsageException">Cancelled.</exception>
    public static Code Read(bool withNameplate)
    {
        char[] typed = GC.AllocateArray<char>(Code.MaxTypedLength, pinned: true);
        bool treatControlC = Console.TreatControlCAsInput;
        try
        {
            Console.TreatControlCAsInput = true;
            Echo.WriteLine(withNameplate
                ? "Type the code the listener gave you (like 17-bluebird-caravan); Tab completes a word."
                : "Type the code the listener gave you (like bluebird-caravan); Tab completes a word.");
            while (true)
            {
                int length = ReadLine(typed, withNameplate);
                if (Code.TryParse(typed.AsSpan(0, length), withNameplate, out Code? code, out CodeProblem? problem))
                {
                    return code;
                }

                Echo.WriteLine(problem.MessageWithSuggestions + " Nothing was sent; type it again.");
                CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(typed.AsSpan()));
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(typed.AsSpan()));
        }
    }

    private static int ReadLine(char[] typed, bool withNameplate)
    {
        int length = 0;
        Echo.Write(Prompt);
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            bool control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
            if (key.Key == ConsoleKey.Enter)
            {
                Echo.WriteLine();
                return length;
            }

            if (control && key.Key is ConsoleKey.C or ConsoleKey.D)
            {
                Echo.WriteLine();
                throw new UsageException("Cancelled: no code was entered.");
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (length > 0)
                {
                    length--;
                    typed[length] = '\0';
                    Echo.Write("\b \b");
                }

                continue;
            }

            if (key.Key == ConsoleKey.Tab)
            {
                TabResult tab = Complete(typed, ref length, withNameplate);
                if (tab.Added.Length > 0)
                {
                    Echo.Write(tab.Added);
                }
                else if (tab.Candidates.Count > 1)
                {
                    Echo.WriteLine();
                    Echo.WriteLine(string.Join("  ", tab.Candidates.Take(MaxListed)) + (tab.Candidates.Count > MaxListed ? $"  … ({tab.Candidates.Count} words)" : ""));
                    Echo.Write(Prompt);
                    Echo.Write(typed, 0, length);
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar) && length < typed.Length)
            {
                typed[length++] = key.KeyChar;
                Echo.Write(key.KeyChar);
            }
        }
    }

    /// <summary>What a Tab did: the characters it added (to echo), and the candidates when it could not choose.</summary>
    internal readonly record struct TabResult(string Added, IReadOnlyList<string> Candidates);

    /// <summary>
    /// Completes the last word of <paramref name="typed"/>: one candidate is written out in full and
    /// followed by '-' (unless it is the last word a code can have); several extend the word to their
    /// common prefix, or are returned to be listed when that adds nothing.
    /// </summary>
    internal static TabResult Complete(char[] typed, ref int length, bool withNameplate)
    {
        IReadOnlyList<string> candidates = CodeWords.Complete(typed.AsSpan(0, length), withNameplate, out int replaced);
        if (candidates.Count == 0)
        {
            return new TabResult("", []);
        }

        string target = candidates.Count == 1 ? candidates[0] + "-" : CommonPrefix(candidates);
        if (target.Length <= replaced || length - replaced + target.Length > typed.Length)
        {
            return new TabResult("", candidates);
        }

        // The typed prefix may differ in case: keep it, add the rest of the word.
        string added = target[replaced..];
        added.CopyTo(typed.AsSpan(length));
        length += added.Length;
        return new TabResult(added, candidates);
    }

    private static string CommonPrefix(IReadOnlyList<string> words)
    {
        string prefix = words[0];
        foreach (string word in words)
        {
            int i = 0;
            while (i < prefix.Length && i < word.Length && prefix[i] == word[i])
            {
                i++;
            }

            prefix = prefix[..i];
        }

        return prefix;
    }
}
