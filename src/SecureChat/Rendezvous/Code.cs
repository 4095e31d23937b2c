using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Identity;

namespace SecureChat.Rendezvous;

/// <summary>
/// A short one-time code: <c>17-bluebird-caravan</c> for a relay (the nameplate, then words), or
/// words only (<c>bluebird-caravan</c>) for a direct connection. The words come from the PGP word
/// list, alternately even and odd lists, one CSPRNG byte each (two words: 16 bits). Its canonical
/// form (lowercase words, the nameplate without leading zeros, single '-' separators) is the CPace
/// PRS (docs/PROTOCOL.md §4), held only as a pinned <see cref="Identity.Passphrase"/>; the nameplate,
/// which is not secret, is the CPace channel. One code, one attempt (§8).
/// </summary>
public sealed class Code : IDisposable
{
    /// <summary>Words in a code by default (16 bits).</summary>
    public const int DefaultWords = 2;

    /// <summary>The fewest words in a code.</summary>
    public const int MinWords = 2;

    /// <summary>The most words in a code.</summary>
    public const int MaxWords = 8;

    /// <summary>The longest text accepted as a typed code, in characters.</summary>
    public const int MaxTypedLength = 256;

    private Code(string? nameplate, int wordCount, Passphrase passphrase)
    {
        Nameplate = nameplate;
        WordCount = wordCount;
        Passphrase = passphrase;
    }

    /// <summary>The relay nameplate (1-6 digits, no leading zero), or null for a words-only (direct) code. Not secret.</summary>
    public string? Nameplate { get; }

    /// <summary>How many words the code has.</summary>
    public int WordCount { get; }

    /// <summary>The canonical code as CPace PRS, owned by this code (wiped with it).</summary>
    public Passphrase Passphrase { get; }

    /// <summary>The CPace channel (<see cref="Session.SessionOptions.PakeChannel"/>): the nameplate, or null for a direct code.</summary>
    public string? PakeChannel => Nameplate;

    /// <summary>A new code from the system CSPRNG.</summary>
    /// <param name="nameplate">The relay's nameplate, or null for a words-only code.</param>
    /// <param name="words">How many words (<see cref="MinWords"/> to <see cref="MaxWords"/>).</param>
    /// <exception cref="ArgumentException">A bad nameplate or word count.</exception>
    public static Code Generate(string? nameplate, int words = DefaultWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(words, MinWords);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(words, MaxWords);
        if (nameplate is not null && !RelayControl.IsValidNameplate(nameplate))
        {
            throw new ArgumentException("A nameplate is 1-6 digits without a leading zero.", nameof(nameplate));
        }

        Span<byte> values = stackalloc byte[MaxWords];
        char[] text = GC.AllocateArray<char>(MaxTypedLength, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(values[..words]);
            int length = 0;
            if (nameplate is not null)
            {
                nameplate.CopyTo(text);
                length = nameplate.Length;
            }

            for (int i = 0; i < words; i++)
            {
                if (length > 0)
                {
                    text[length++] = '-';
                }

                string word = PgpWordList.ForPosition(i)[values[i]];
                word.CopyTo(text.AsSpan(length));
                length += word.Length;
            }

            return new Code(nameplate, words, Passphrase.FromChars(text.AsSpan(0, length)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(values);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }

    /// <summary>
    /// Normalises and checks a typed code: case, spaces and runs of separators (space, tab, - _ . , : ; /)
    /// do not matter, leading zeros of the nameplate are dropped, and every word must be in the
    /// list for its position. Nothing is sent before this succeeds.
    /// </summary>
    /// <param name="typed">What the user typed (the caller keeps and wipes its buffer).</param>
    /// <param name="withNameplate">True for a relay code (it must start with the nameplate), false for a words-only code.</param>
    /// <param name="code">The code, owned by the caller.</param>
    /// <param name="problem">Why the text is not a code.</param>
    public static bool TryParse(ReadOnlySpan<char> typed, bool withNameplate, [NotNullWhen(true)] out Code? code, [NotNullWhen(false)] out CodeProblem? problem)
    {
        code = null;
        if (typed.Length > MaxTypedLength)
        {
            problem = new CodeProblem($"That is too long for a code (at most {MaxTypedLength} characters).", 0, []);
            return false;
        }

        char[] canonical = GC.AllocateArray<char>(MaxTypedLength + 8, pinned: true);
        char[] token = GC.AllocateArray<char>(MaxTypedLength, pinned: true);
        try
        {
            int length = 0;
            int words = 0;
            string? nameplate = null;
            int index = 0;
            while (TryNextToken(typed, ref index, out Range range))
            {
                ReadOnlySpan<char> raw = typed[range];
                foreach (char c in raw)
                {
                    if (!char.IsAsciiLetterOrDigit(c))
                    {
                        problem = new CodeProblem("A code has only letters, digits and separators such as '-'.", 0, []);
                        return false;
                    }
                }

                Span<char> lower = token.AsSpan(0, raw.Length);
                raw.ToLowerInvariant(lower);
                bool digits = lower.ContainsAnyExceptInRange('0', '9') is false;
                bool first = nameplate is null && words == 0;
                if (digits)
                {
                    if (!first || !withNameplate)
                    {
                        problem = withNameplate
                            ? new CodeProblem("Only the first part of a code is a number.", 0, [])
                            : new CodeProblem("This code is words only (a direct connection has no number in front): type the words the listener showed.", 0, []);
                        return false;
                    }

                    ReadOnlySpan<char> trimmed = lower.TrimStart('0');
                    if (trimmed.IsEmpty || trimmed.Length > 6)
                    {
                        problem = new CodeProblem("The number in front of a code is 1 to 999999.", 0, []);
                        return false;
                    }

                    nameplate = new string(trimmed); // not secret: the relay sees it
                    trimmed.CopyTo(canonical);
                    length = trimmed.Length;
                    continue;
                }

                if (first && withNameplate)
                {
                    problem = new CodeProblem("A relay code starts with the number the listener showed (like 17-…).", 0, []);
                    return false;
                }

                if (words == MaxWords)
                {
                    problem = new CodeProblem($"A code has at most {MaxWords} words.", 0, []);
                    return false;
                }

                if (PgpWordList.IndexOf(lower, words) < 0)
                {
                    bool otherList = PgpWordList.IndexOf(lower, words + 1) >= 0;
                    string which = words % 2 == 0 ? "first, third, …" : "second, fourth, …";
                    string message = otherList
                        ? $"Word {words + 1} belongs to the other list: words in the {which} place come from a different list. Check the order of the words."
                        : $"Word {words + 1} is not in the code word list.";
                    problem = new CodeProblem(message, words + 1, otherList ? [] : CodeWords.Suggest(lower, words));
                    return false;
                }

                if (length > 0)
                {
                    canonical[length++] = '-';
                }

                lower.CopyTo(canonical.AsSpan(length));
                length += lower.Length;
                words++;
            }

            if (withNameplate && nameplate is null)
            {
                problem = new CodeProblem(words == 0 ? "No code was typed." : "A relay code starts with the number the listener showed (like 17-…).", 0, []);
                return false;
            }

            if (words < MinWords)
            {
                problem = new CodeProblem(words == 0 && nameplate is null ? "No code was typed." : $"A code has at least {MinWords} words.", 0, []);
                return false;
            }

            code = new Code(nameplate, words, Passphrase.FromChars(canonical.AsSpan(0, length)));
            problem = null;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(canonical.AsSpan()));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(token.AsSpan()));
        }
    }

    /// <summary>As <see cref="TryParse"/>, from UTF-8 (a code file or environment variable); a final line break is not part of it.</summary>
    /// <exception cref="CodeFormatException">Not UTF-8, or not a valid code (its message has no suggestions).</exception>
    public static Code FromUtf8(ReadOnlySpan<byte> utf8, bool withNameplate)
    {
        while (!utf8.IsEmpty && (utf8[^1] == (byte)'\n' || utf8[^1] == (byte)'\r'))
        {
            utf8 = utf8[..^1];
        }

        if (utf8.Length > MaxTypedLength)
        {
            throw new CodeFormatException(new CodeProblem($"That is too long for a code (at most {MaxTypedLength} characters).", 0, []));
        }

        char[] chars = GC.AllocateArray<char>(Math.Max(1, utf8.Length), pinned: true);
        try
        {
            int count;
            try
            {
                count = new UTF8Encoding(false, throwOnInvalidBytes: true).GetChars(utf8, chars);
            }
            catch (DecoderFallbackException)
            {
                throw new CodeFormatException(new CodeProblem("The code is not valid UTF-8.", 0, []));
            }

            return TryParse(chars.AsSpan(0, count), withNameplate, out Code? code, out CodeProblem? problem) ? code : throw new CodeFormatException(problem);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan()));
        }
    }

    /// <summary>
    /// From an environment variable without making a string of it where the platform allows (on
    /// Linux from /proc/self/environ, as <see cref="Passphrase.FromEnvironment"/>). Null when unset or empty.
    /// </summary>
    /// <exception cref="CodeFormatException">The value is not a valid code.</exception>
    public static Code? FromEnvironment(string variable, bool withNameplate) =>
        withNameplate
            ? EnvironmentBytes.Read(variable, static value => FromUtf8(value, withNameplate: true))
            : EnvironmentBytes.Read(variable, static value => FromUtf8(value, withNameplate: false));

    /// <summary>
    /// The canonical code as a string, to show it to the user who must pass it on (a string cannot
    /// be wiped: call this only to display it, never to log it).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The code was wiped.</exception>
    public string ToDisplayString() => Encoding.ASCII.GetString(Passphrase.Utf8);

    /// <summary>Wipes the code.</summary>
    public void Dispose() => Passphrase.Dispose();

    /// <summary>True for the characters that separate the parts of a typed code.</summary>
    internal static bool IsSeparator(char c) => c is ' ' or '\t' or '-' or '_' or '.' or ',' or ':' or ';' or '/' or '\u00a0';

    private static bool TryNextToken(ReadOnlySpan<char> text, ref int index, out Range range)
    {
        while (index < text.Length && IsSeparator(text[index]))
        {
            index++;
        }

        int start = index;
        while (index < text.Length && !IsSeparator(text[index]))
        {
            index++;
        }

        range = start..index;
        return index > start;
    }

    /// <summary>Says what kind of code this is without showing it (so a code in a log or debugger shows no words).</summary>
    public override string ToString() => Nameplate is null ? $"code ({WordCount} words)" : $"code {Nameplate}-… ({WordCount} words)";
}
