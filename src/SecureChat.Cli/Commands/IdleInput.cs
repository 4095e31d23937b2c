using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;

namespace SecureChat.Cli.Commands;

/// <summary>The user's input while the listener waits for a peer: the end of input or Ctrl+C stops the wait.</summary>
internal static class IdleInput
{
    /// <summary>
    /// Reads until the user stops (returns true: end of input, or Ctrl+C at the line editor); each
    /// typed line goes to <paramref name="typed"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The wait ended for another reason.</exception>
    public static async Task<bool> ReadAsync(IChatInput input, IChatOutput output, Action<InputLine> typed, CancellationToken cancellationToken)
    {
        while (true)
        {
            InputLine line = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (line.Kind == InputKind.End)
            {
                output.Info("Input ended (Ctrl+D, or the end of stdin) before a peer connected: stopped listening. To listen with nothing to type, keep stdin open (for example: sleep infinity | securechat listen).");
                return true;
            }

            if (line.Kind != InputKind.Line)
            {
                return true;
            }

            typed(line);
        }
    }
}
