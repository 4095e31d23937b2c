namespace SecureChat.Rendezvous;

/// <summary>
/// Why typed text is not a valid code, found before anything is sent (so a typo does not spend
/// the code). <see cref="Message"/> never repeats what was typed; <see cref="Suggestions"/> are
/// words of the list close to a misspelt word ("did you mean"), for an interactive prompt only
/// (they may reveal the code's words, so they do not belong in a log).
/// </summary>
/// <param name="Message">What is wrong, in words for the user.</param>
/// <param name="WordPosition">The 1-based position of the bad word among the words, or 0 when the problem is not one word.</param>
/// <param name="Suggestions">The closest words of the list for that position (at most 3), or none.</param>
public sealed record CodeProblem(string Message, int WordPosition, IReadOnlyList<string> Suggestions)
{
    /// <summary>The message followed by "did you mean …?" when there are suggestions.</summary>
    public string MessageWithSuggestions => Suggestions.Count == 0
        ? Message
        : $"{Message} Did you mean {string.Join(" or ", Suggestions.Select(s => $"'{s}'"))}?";
}
