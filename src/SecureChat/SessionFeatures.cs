using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat;

/// <summary>
/// The composition root of a session's features: each line registers the handler of one range of
/// message types (docs/ARCHITECTURE.md, "How to add a message type"). The session knows only
/// <see cref="IMessageHandler"/>; it calls this once, when the handshake has succeeded.
/// </summary>
internal static class SessionFeatures
{
    /// <summary>One new handler of each feature for the session <paramref name="session"/>.</summary>
    public static IMessageHandler[] Create(ISessionLink session) =>
    [
        new TransferManager(session), // 0x10–0x1F, docs/PROTOCOL.md §4.1
    ];
}
