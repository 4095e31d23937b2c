namespace SecureChat.Rendezvous;

/// <summary>
/// The PGP word list (Juola &amp; Zimmermann, 1995; public domain), embedded from pgp-words.tsv:
/// 256 "even" words (two syllables) for bytes at even positions and 256 "odd" words (three
/// syllables) for bytes at odd positions, lowercase here, no word in both lists. A code's
/// first word comes from the even list, its second from the odd list, and so on alternately.
/// </summary>
public static class PgpWordList
{
    private static readonly Lazy<(string[] Even, string[] Odd)> Lists = new(Load);
    private static readonly Lazy<Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>> EvenIndex = new(() => IndexFor(Lists.Value.Even));
    private static readonly Lazy<Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>> OddIndex = new(() => IndexFor(Lists.Value.Odd));

    /// <summary>The 256 words for even positions (the first word of a code), lowercase, by byte value.</summary>
    public static IReadOnlyList<string> Even => Lists.Value.Even;

    /// <summary>The 256 words for odd positions (the second word of a code), lowercase, by byte value.</summary>
    public static IReadOnlyList<string> Odd => Lists.Value.Odd;

    /// <summary>The list for the word at <paramref name="position"/> (0-based among the words): even, odd, even, …</summary>
    public static IReadOnlyList<string> ForPosition(int position) => position % 2 == 0 ? Even : Odd;

    /// <summary>The byte value of <paramref name="word"/> (lowercase ASCII) in the list for <paramref name="position"/>; -1 when it is not there.</summary>
    public static int IndexOf(ReadOnlySpan<char> word, int position)
    {
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup = position % 2 == 0 ? EvenIndex.Value : OddIndex.Value;
        return lookup.TryGetValue(word, out int value) ? value : -1;
    }

    private static Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> IndexFor(string[] list)
    {
        var index = new Dictionary<string, int>(list.Length, StringComparer.Ordinal);
        for (int i = 0; i < list.Length; i++)
        {
            index.Add(list[i], i);
        }

        return index.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static (string[] Even, string[] Odd) Load()
    {
        using Stream stream = typeof(PgpWordList).Assembly.GetManifestResourceStream("SecureChat.Rendezvous.pgp-words.tsv")
            ?? throw new InvalidOperationException("The embedded PGP word list is missing.");
        using var reader = new StreamReader(stream);
        string[] even = new string[256];
        string[] odd = new string[256];
        int count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] fields = line.Split('\t');
            int value = Convert.ToInt32(fields[0], 16);
            even[value] = fields[1].ToLowerInvariant();
            odd[value] = fields[2].ToLowerInvariant();
            count++;
        }

        if (count != 256 || even.Any(w => w is null) || odd.Any(w => w is null))
        {
            throw new InvalidOperationException("The embedded PGP word list is incomplete.");
        }

        if (even.Concat(odd).Distinct(StringComparer.Ordinal).Count() != 512 || even.Concat(odd).Any(w => !w.All(char.IsAsciiLetterLower)))
        {
            throw new InvalidOperationException("The embedded PGP word list has a duplicate or a word that is not lowercase letters.");
        }

        return (even, odd);
    }
}
