using SecureChat.Crypto;

namespace SecureChat.Identity;

/// <summary>Reads a small private-key file straight into a pinned buffer that the caller wipes (disposes).</summary>
internal static class KeyFile
{
    /// <summary>The whole file, at most <paramref name="maxBytes"/>; <paramref name="length"/> is how many bytes were read.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/> (the message names it and <paramref name="what"/>).</exception>
    public static SecretBuffer Read(string path, int maxBytes, string what, out int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        if (file.Length > maxBytes)
        {
            throw new InvalidDataException($"The key file {path} is larger than {maxBytes} bytes: it is not {what}.");
        }

        var bytes = new SecretBuffer((int)Math.Max(1, file.Length));
        int total = 0;
        while (total < bytes.Length)
        {
            int read = file.Read(bytes.Span[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        length = total;
        return bytes;
    }
}
