namespace SecureChat.Framing;

/// <summary>What <see cref="TransportMessage.TryParse"/> found in a decrypted transport payload.</summary>
internal enum TransportMessageStatus
{
    /// <summary>A type byte and a body (possibly empty).</summary>
    Complete,

    /// <summary>The plaintext is empty: a transport message must start with its type byte (docs/PROTOCOL.md §4).</summary>
    MissingType,

    /// <summary>The body is longer than <see cref="TransportLimits.MaxBodyLength"/>.</summary>
    TooLong,
}

/// <summary>
/// The plaintext of one transport message (docs/PROTOCOL.md §4): type (1 byte) ‖ body (0 to
/// 65,518 bytes). A pure parser, no I/O and no copies: the body is a slice of the input. What a
/// body means is up to the handler of its type.
/// </summary>
internal static class TransportMessage
{
    /// <summary>Splits a decrypted payload into its type and body.</summary>
    public static TransportMessageStatus TryParse(ReadOnlySpan<byte> plaintext, out MessageType type, out ReadOnlySpan<byte> body)
    {
        type = default;
        body = default;
        if (plaintext.IsEmpty)
        {
            return TransportMessageStatus.MissingType;
        }

        if (plaintext.Length - 1 > TransportLimits.MaxBodyLength)
        {
            return TransportMessageStatus.TooLong;
        }

        type = (MessageType)plaintext[0];
        body = plaintext[1..];
        return TransportMessageStatus.Complete;
    }

    /// <summary>Writes type ‖ body into <paramref name="destination"/>; returns the plaintext length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The body is too long, or the destination too small.</exception>
    public static int Write(MessageType type, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(body.Length, TransportLimits.MaxBodyLength, nameof(body));
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, 1 + body.Length, nameof(destination));
        destination[0] = (byte)type;
        body.CopyTo(destination[1..]);
        return 1 + body.Length;
    }
}
