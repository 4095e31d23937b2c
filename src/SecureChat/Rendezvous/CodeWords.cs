namespace SecureChat.Rendezvous;

/// <summary>
/// Help for typing a code: "did you mean" suggestions for a misspelt word (edit distance, with a
/// transposition counting as one edit) and Tab completion (the words of the right list that start
/// with what has been typed of the current word).
/// </summary>
public static class CodeWords
{
    /// <summary>The largest edit distance a suggestion may have.</summary>
    public const int MaxSuggestionDistance = 2;

    /// <summary>The most suggestions returned.</summary>
    public const int MaxSuggestions = 3;

    /// <summary>The words of the list for <paramref name="position"/> (0-based) closest to <paramref name="word"/>, nearest first; empty when none is within <see cref="MaxSuggestionDistance"/>.</summary>
    public static IReadOnlyList<string> Suggest(ReadOnlySpan<char> word, int position)
    {
        var scored = new List<(int Distance, string Word)>();
        foreach (string candidate in PgpWordList.ForPosition(position))
        {
            int distance = Distance(word, candidate, MaxSuggestionDistance);
            if (distance <= MaxSuggestionDistance)
            {
                scored.Add((distance, candidate));
            }
        }

        return [.. scored.OrderBy(s => s.Distance).ThenBy(s => s.Word, StringComparer.Ordinal).Take(MaxSuggestions).Select(s => s.Word)];
    }

    /// <summary>
    /// Tab completion for a code being typed in <paramref name="line"/>: the words that the last,
    /// unfinished word may become (all of its list when the line ends with a separator), in list
    /// order. Empty when the last part is the nameplate or cannot become a word.
    /// </summary>
    /// <param name="line">What has been typed so far.</param>
    /// <param name="withNameplate">True when the code starts with a nameplate (a relay code).</param>
    /// <param name="prefixLength">How many characters at the end of <paramref name="line"/> the chosen candidate replaces.</param>
    public static IReadOnlyList<string> Complete(ReadOnlySpan<char> line, bool withNameplate, out int prefixLength)
    {
        int start = line.Length;
        while (start > 0 && !Code.IsSeparator(line[start - 1]))
        {
            start--;
        }

        ReadOnlySpan<char> prefix = line[start..];
        prefixLength = prefix.Length;
        int tokensBefore = 0;
        bool inToken = false;
        foreach (char c in line[..start])
        {
            if (Code.IsSeparator(c))
            {
                inToken = false;
            }
            else if (!inToken)
            {
                inToken = true;
                tokensBefore++;
            }
        }

        int position = withNameplate ? tokensBefore - 1 : tokensBefore;
        if (position < 0 || position >= Code.MaxWords)
        {
            return [];
        }

        Span<char> lower = stackalloc char[Math.Min(prefix.Length, 64)];
        if (prefix.Length > lower.Length)
        {
            return [];
        }

        prefix.ToLowerInvariant(lower);
        var matches = new List<string>();
        foreach (string word in PgpWordList.ForPosition(position))
        {
            if (word.AsSpan().StartsWith(lower, StringComparison.Ordinal))
            {
                matches.Add(word);
            }
        }

        return matches;
    }

    /// <summary>Optimal string alignment distance, stopping early above <paramref name="limit"/> (then some value above it).</summary>
    internal static int Distance(ReadOnlySpan<char> a, ReadOnlySpan<char> b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return limit + 1;
        }

        if (a.Length > 64 || b.Length > 64)
        {
            return limit + 1;
        }

        int columns = b.Length + 1;
        Span<int> previous2 = stackalloc int[columns];
        Span<int> previous = stackalloc int[columns];
        Span<int> current = stackalloc int[columns];
        for (int j = 0; j < columns; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            int rowMinimum = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, previous2[j - 2] + 1);
                }

                current[j] = value;
                rowMinimum = Math.Min(rowMinimum, value);
            }

            if (rowMinimum > limit)
            {
                return limit + 1;
            }

            Span<int> recycled = previous2;
            previous2 = previous;
            previous = current;
            current = recycled;
        }

        return previous[b.Length];
    }
}
