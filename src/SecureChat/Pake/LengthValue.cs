namespace SecureChat.Pake;

/// <summary>
/// The string encodings of draft-irtf-cfrg-cpace-21 §4.3 (reference code in its appendix A.1):
/// prepend_len(s) = LEB128(len(s)) ‖ s, and lv_cat(a0, a1, …) = prepend_len(a0) ‖ prepend_len(a1) ‖ ….
/// LEB128 stores 7 bits per byte, least significant first, bit 7 set while more bytes follow.
/// Pure functions over caller-provided spans: nothing here allocates, so secret inputs stay where
/// the caller keeps them.
/// </summary>
internal static class LengthValue
{
    /// <summary>Bytes of the LEB128 encoding of <paramref name="length"/>.</summary>
    public static int PrefixLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int bytes = 1;
        for (uint rest = (uint)length >> 7; rest != 0; rest >>= 7)
        {
            bytes++;
        }

        return bytes;
    }

    /// <summary>len(prepend_len(s)) for a string s of <paramref name="length"/> bytes.</summary>
    public static int EncodedLength(int length) => checked(PrefixLength(length) + length);

    /// <summary>Writes prepend_len(<paramref name="data"/>) at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int Write(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int position = WritePrefix(data.Length, destination);
        data.CopyTo(destination[position..]);
        return position + data.Length;
    }

    /// <summary>Writes prepend_len(zero_bytes(<paramref name="count"/>)); returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteZeros(int count, Span<byte> destination)
    {
        int position = WritePrefix(count, destination);
        destination.Slice(position, count).Clear();
        return position + count;
    }

    private static int WritePrefix(int length, Span<byte> destination)
    {
        int needed = EncodedLength(length);
        if (destination.Length < needed)
        {
            throw new ArgumentException($"prepend_len needs {needed} bytes, the destination has {destination.Length}.", nameof(destination));
        }

        int position = 0;
        uint rest = (uint)length;
        do
        {
            byte low = (byte)(rest & 0x7F);
            rest >>= 7;
            destination[position++] = rest != 0 ? (byte)(low | 0x80) : low;
        }
        while (rest != 0);

        return position;
    }
}
