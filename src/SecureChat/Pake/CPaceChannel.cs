namespace SecureChat.Pake;

/// <summary>
/// SecureChat's CPace channel identifier (issue 12 §4): CI = lv_cat("SecureChat/2", channel), where
/// channel is empty for a direct connection and the relay nameplate's ASCII digits for a relayed one.
/// Binding the channel into CI (draft-irtf-cfrg-cpace-21 §4 and §9.1) makes a run over one relay
/// channel useless on any other. CI is public.
/// </summary>
internal static class CPaceChannel
{
    /// <summary>The longest channel accepted (a nameplate is a few digits; this only bounds the buffers).</summary>
    public const int MaxChannelLength = 255;

    /// <summary>The protocol label that starts every SecureChat v2 CI.</summary>
    public static ReadOnlySpan<byte> Label => "SecureChat/2"u8;

    /// <summary>CI = lv_cat("SecureChat/2", <paramref name="channel"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="channel"/> is longer than <see cref="MaxChannelLength"/>.</exception>
    public static byte[] ChannelIdentifier(ReadOnlySpan<byte> channel)
    {
        if (channel.Length > MaxChannelLength)
        {
            throw new ArgumentException($"A CPace channel is at most {MaxChannelLength} bytes.", nameof(channel));
        }

        byte[] ci = new byte[LengthValue.EncodedLength(Label.Length) + LengthValue.EncodedLength(channel.Length)];
        int written = LengthValue.Write(Label, ci);
        LengthValue.Write(channel, ci.AsSpan(written));
        return ci;
    }
}
