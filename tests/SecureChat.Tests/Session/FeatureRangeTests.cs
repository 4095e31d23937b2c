using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Tests.Session;

/// <summary>A message type belongs to one feature: ranges that overlap, are empty or take the session's own types are refused.</summary>
public class FeatureRangeTests
{
    private sealed class Range(byte first, byte last) : IMessageHandler
    {
        public MessageType FirstType => (MessageType)first;

        public MessageType LastType => (MessageType)last;

        public SessionEvent? OnMessage(MessageType type, ReadOnlySpan<byte> body) => null;

        public void OnSessionEnded(bool faulted)
        {
        }
    }

    [Fact]
    public void Disjoint_ranges_above_the_session_types_are_accepted()
    {
        IMessageHandler[] handlers = [new Range(0x10, 0x1F), new Range(0x20, 0x20), new Range(0x30, 0x3F)];
        Assert.Same(handlers, SessionFeatures.CheckRanges(handlers));
    }

    [Theory]
    [InlineData(0x10, 0x1F, 0x1F, 0x2F)] // overlap at one type
    [InlineData(0x10, 0x1F, 0x12, 0x13)] // inside
    [InlineData(0x10, 0x1F, 0x05, 0x15)] // reaches into the session's types
    public void Overlapping_ranges_are_refused(int a1, int a2, int b1, int b2)
    {
        Assert.Throws<InvalidOperationException>(() => SessionFeatures.CheckRanges([new Range((byte)a1, (byte)a2), new Range((byte)b1, (byte)b2)]));
    }

    [Theory]
    [InlineData(0x01, 0x04)] // TEXT..PONG belong to the session
    [InlineData(0x20, 0x1F)] // empty
    public void A_range_that_is_empty_or_takes_the_session_types_is_refused(int first, int last)
    {
        Assert.Throws<InvalidOperationException>(() => SessionFeatures.CheckRanges([new Range((byte)first, (byte)last)]));
    }
}
