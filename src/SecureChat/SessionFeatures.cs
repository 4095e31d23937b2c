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
    /// <summary>The types below this are the session's own (TEXT, CLOSE, PING, PONG and room for more).</summary>
    internal const byte FirstFeatureType = 0x10;

    /// <summary>One new handler of each feature for the session <paramref name="session"/>.</summary>
    public static IMessageHandler[] Create(ISessionLink session) => CheckRanges(
    [
        new TransferManager(session), // 0x10–0x1F, docs/PROTOCOL.md §4.1
    ]);

    /// <summary>
    /// Each range is non-empty, above the session's own types, and claimed by one handler only: a
    /// second handler over the same types would silently never see its messages.
    /// </summary>
    /// <exception cref="InvalidOperationException">A range breaks one of these rules.</exception>
    internal static IMessageHandler[] CheckRanges(IMessageHandler[] handlers)
    {
        for (int i = 0; i < handlers.Length; i++)
        {
            IMessageHandler handler = handlers[i];
            if ((byte)handler.FirstType < FirstFeatureType || handler.FirstType > handler.LastType)
            {
                throw new InvalidOperationException($"{handler.GetType().Name} claims the types {(byte)handler.FirstType:X2}–{(byte)handler.LastType:X2}: a feature's range must be non-empty and start at {FirstFeatureType:X2} or above.");
            }

            for (int j = 0; j < i; j++)
            {
                IMessageHandler other = handlers[j];
                if (handler.FirstType <= other.LastType && other.FirstType <= handler.LastType)
                {
                    throw new InvalidOperationException($"{handler.GetType().Name} and {other.GetType().Name} both claim message types in {(byte)handler.FirstType:X2}–{(byte)handler.LastType:X2}.");
                }
            }
        }

        return handlers;
    }
}
