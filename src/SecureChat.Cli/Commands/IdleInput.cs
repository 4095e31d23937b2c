using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;

namespace SecureChat.Cli.Commands;

/// <summary>The user's input while the listener waits for a peer: nothing is sent; the end of input or Ctrl+C stops the wait.</summary>
internal static class IdleInput
{
    /// <summary>Returns true when the user stopped (end of input, or Ctrl+C at the line editor).</summary>
    /// <exception cref="OperationCanceledException">The wait ended for another reason.</exception>
    public static async Task<bool> ReadAsync(IChatInput input, IChatOutput output, CancellationToken cancellationToken)
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

            if (line.Text.Trim().Length > 0)
            {
                output.Warning("no peer is connected yet: that line was not sent.");
            }
        }
    }
}
