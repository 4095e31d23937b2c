using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>Best-effort sends for transfers: a session that has ended meanwhile is not an error.</summary>
internal static class SessionLinkExtensions
{
    /// <summary>Sends a control message; does nothing when the session is over (it reports why itself).</summary>
    public static async Task TrySendAsync(this ISessionLink link, MessageType type, byte[] body)
    {
        try
        {
            await link.SendControlAsync(type, body, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session is over.
        }
    }

    /// <summary>
    /// Reports <paramref name="failed"/> to the application and sends FILE_CANCEL for
    /// <paramref name="id"/> in the same step (<see cref="ISessionLink.SendThenPublishAsync"/>), best
    /// effort. <paramref name="waitForRoom"/> is false on the application's own call.
    /// </summary>
    public static ValueTask CancelAndReportAsync(this ISessionLink link, uint id, string peerReason, FileFailed failed, bool waitForRoom = true) =>
        link.SendThenPublishAsync(FileMessageType.Cancel, FileMessages.Encode(new FileCancel(id, peerReason)), failed, waitForRoom, CancellationToken.None);

    /// <summary>Sends FILE_CANCEL for <paramref name="id"/>, best effort.</summary>
    public static Task TryCancelAsync(this ISessionLink link, uint id, string reason) =>
        link.TrySendAsync(FileMessageType.Cancel, FileMessages.Encode(new FileCancel(id, reason)));
}
