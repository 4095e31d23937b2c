using System.Net.Sockets;
using SecureChat.Session;

namespace SecureChat.Cli.Commands;

/// <summary>
/// Tells connections the listener cannot take now that it is busy (SCERR 4, docs/PROTOCOL.md §2), in
/// the background. A polite refusal waits up to a few seconds for the peer's hello, so at most
/// <see cref="MaxInFlight"/> run at once; beyond that a connection is simply closed, so that a flood
/// of connections cannot pile up sockets and tasks.
/// </summary>
internal static class BusyRefusals
{
    /// <summary>The most refusals in progress at once.</summary>
    public const int MaxInFlight = 32;

    private static int _inFlight;

    /// <summary>Refuses (or, in the compatibility modes, which cannot say "busy", closes) the connection; returns at once.</summary>
    public static void Refuse(Socket socket, string reason, bool compat)
    {
        if (compat)
        {
            // The seed protocols have no way to say "busy": hang up, as the originals do.
            socket.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            socket.Dispose();
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await SecureChatSession.RefuseAsync(new NetworkStream(socket, ownsSocket: true), RefusalCode.Busy, reason, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // It left already.
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }, CancellationToken.None);
    }
}
