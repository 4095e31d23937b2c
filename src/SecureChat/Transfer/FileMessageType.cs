using SecureChat.Framing;

namespace SecureChat.Transfer;

/// <summary>
/// The type bytes of file transfer (docs/PROTOCOL.md §4.1): the range 0x10–0x1F, which
/// <see cref="TransferManager"/> registers as its <see cref="Session.IMessageHandler"/> range.
/// The session itself knows none of them.
/// </summary>
internal static class FileMessageType
{
    /// <summary>The first type of the range file transfer owns.</summary>
    public const MessageType First = (MessageType)0x10;

    /// <summary>The last type of the range (inclusive).</summary>
    public const MessageType Last = (MessageType)0x1F;

    /// <summary>JSON {id, name, size, sha256 (or null: it comes with FILE_END)}.</summary>
    public const MessageType Offer = (MessageType)0x10;

    /// <summary>JSON {id, offset, and challenge and prefix_mac when offset &gt; 0}: send from this offset.</summary>
    public const MessageType Accept = (MessageType)0x11;

    /// <summary>JSON {id, reason}.</summary>
    public const MessageType Reject = (MessageType)0x12;

    /// <summary>4-byte big-endian id ‖ file bytes.</summary>
    public const MessageType Data = (MessageType)0x13;

    /// <summary>JSON {id, sha256} from the sender: all data is sent; JSON {id} from the receiver: the file arrived and its SHA-256 matched.</summary>
    public const MessageType End = (MessageType)0x14;

    /// <summary>JSON {id, reason}: either side stops a transfer.</summary>
    public const MessageType Cancel = (MessageType)0x15;

    /// <summary>JSON {id}: from the sender, the receiver's .part is not the start of this file; the data comes from byte 0.</summary>
    public const MessageType Restart = (MessageType)0x16;
}
