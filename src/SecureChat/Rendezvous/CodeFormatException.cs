namespace SecureChat.Rendezvous;

/// <summary>Text read from a file or the environment is not a valid code (found before anything was sent).</summary>
public sealed class CodeFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public CodeFormatException(CodeProblem problem)
        : base((problem ?? throw new ArgumentNullException(nameof(problem))).Message)
    {
        Problem = problem;
    }

    /// <summary>What is wrong (its suggestions are for an interactive prompt only).</summary>
    public CodeProblem Problem { get; }
}
