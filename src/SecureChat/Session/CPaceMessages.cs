namespace SecureChat.Session;

/// <summary>The CPace fields of messages 1 and 2 in PSK mode (docs/PROTOCOL.md §3, §4): sid ‖ Ya in message 1, Yb in message 2.</summary>
internal static class CPaceMessages
{
    /// <summary>The CPace session identifier sid, chosen at random by the initiator.</summary>
    public const int SidLength = 16;

    /// <summary>An encoded ristretto255 element (Ya, Yb).</summary>
    public const int PointLength = 32;
}
