using System.Buffers.Binary;
using System.Text.Json;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// A peer that writes file messages by hand (docs/PROTOCOL.md §4.1), for the tests that play a
/// hostile or half-finished sender, and the waits for what the other side reports.
/// </summary>
internal static class RawFilePeer
{
    private const byte FileData = 0x13;

    public static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    /// <summary>One file message with a JSON body.</summary>
    public static Task SendAsync(SecureChatSession peer, byte type, object body) => peer.SendRawForTestsAsync(type, Json(body)).AsTask();

    /// <summary>FILE_DATA frames of at most 65,513 bytes each.</summary>
    public static async Task DataAsync(SecureChatSession peer, uint id, ReadOnlyMemory<byte> bytes)
    {
        do
        {
            ReadOnlyMemory<byte> chunk = bytes[..Math.Min(bytes.Length, 65_513)];
            byte[] body = new byte[4 + chunk.Length];
            BinaryPrimitives.WriteUInt32BigEndian(body, id);
            chunk.Span.CopyTo(body.AsSpan(4));
            await peer.SendRawForTestsAsync(FileData, body);
            bytes = bytes[chunk.Length..];
        }
        while (!bytes.IsEmpty);
    }

    /// <summary>Events of <paramref name="session"/> until one of type <typeparamref name="T"/> (returned), the others in <paramref name="seen"/>.</summary>
    public static async Task<T> UntilAsync<T>(SecureChatSession session, List<SessionEvent>? seen = null)
        where T : SessionEvent =>
        (T)await FirstAsync(session, static evt => evt is T, seen);

    /// <summary>Until the transfer ends on this side: FileCompleted or FileFailed.</summary>
    public static Task<SessionEvent> OutcomeAsync(SecureChatSession session, List<SessionEvent>? seen = null) =>
        FirstAsync(session, static evt => evt is FileCompleted or FileFailed, seen);

    private static async Task<SessionEvent> FirstAsync(SecureChatSession session, Func<SessionEvent, bool> wanted, List<SessionEvent>? seen)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (true)
        {
            SessionEvent evt = await session.ReceiveAsync(timeout.Token);
            if (wanted(evt))
            {
                return evt;
            }

            seen?.Add(evt);
        }
    }
}
