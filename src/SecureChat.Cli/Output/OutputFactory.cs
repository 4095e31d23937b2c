namespace SecureChat.Cli.Output;

internal static class OutputFactory
{
    /// <summary>Colours and cursor movement only on a real terminal, and never with NO_COLOR (no-color.org) or TERM=dumb.</summary>
    public static bool UseColor =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>The line editor needs a terminal on both sides, and is not used for JSON output.</summary>
    public static bool Interactive(bool json) => !json && !Console.IsInputRedirected && UseColor;

    public static IChatOutput Create(bool json) =>
        json ? new JsonOutput(Console.Out, Console.Error) : new HumanOutput(Console.Out, Console.Error, UseColor);
}
