using System.Security.Cryptography;
using System.Text;

namespace SecureChat.Identity;

/// <summary>
/// One environment variable's value as bytes, never as a string (a string cannot be wiped and the
/// garbage collector may copy it). On Linux the bytes come straight from /proc/self/environ — the
/// environment the process started with, "NAME=value" entries separated by NUL bytes — read into
/// pinned memory that is wiped afterwards. Elsewhere (or if /proc cannot be read) the managed API
/// is the only way, and it makes a string.
/// </summary>
internal static class EnvironmentBytes
{
    /// <summary>Linux limits the environment and arguments together to a quarter of the stack limit; 16 MiB is far beyond any real one.</summary>
    private const int MaxEnvironmentBytes = 16 * 1024 * 1024;

    private const string ProcEnviron = "/proc/self/environ";

    /// <summary>Receives the value, which is wiped as soon as the call returns.</summary>
    public delegate T ValueHandler<T>(ReadOnlySpan<byte> value);

    /// <summary>Calls <paramref name="handle"/> with the UTF-8 value of <paramref name="name"/>; default when unset or empty.</summary>
    public static T? Read<T>(string name, ValueHandler<T> handle)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                return ReadProcEnviron(Encoding.UTF8.GetBytes(name), handle);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // /proc not mounted or not readable: fall through to the managed API.
            }
        }

        // Not Linux: no way to reach the process environment without a string.
        string? value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        byte[] utf8 = GC.AllocateArray<byte>(Encoding.UTF8.GetMaxByteCount(value.Length), pinned: true);
        try
        {
            int length = Encoding.UTF8.GetBytes(value, utf8);
            return handle(utf8.AsSpan(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    /// <summary>
    /// Where the value of <paramref name="name"/> lies in an environment block (NUL-separated
    /// "NAME=value" entries): the first entry whose name is exactly <paramref name="name"/>, as
    /// getenv does. False when there is none; an empty value is found (and empty).
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> name, out Range value)
    {
        int offset = 0;
        while (offset < environment.Length)
        {
            ReadOnlySpan<byte> rest = environment[offset..];
            int end = rest.IndexOf((byte)0);
            ReadOnlySpan<byte> entry = end >= 0 ? rest[..end] : rest;
            if (entry.Length > name.Length && entry[name.Length] == (byte)'=' && entry.StartsWith(name))
            {
                value = new Range(offset + name.Length + 1, offset + entry.Length);
                return true;
            }

            offset += entry.Length + 1;
        }

        value = default;
        return false;
    }

    private static T? ReadProcEnviron<T>(ReadOnlySpan<byte> name, ValueHandler<T> handle)
        where T : class
    {
        byte[] buffer = GC.AllocateArray<byte>(64 * 1024, pinned: true);
        int length = 0;
        try
        {
            using (var file = new FileStream(ProcEnviron, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxEnvironmentBytes)
                        {
                            throw new IOException($"{ProcEnviron} is larger than {MaxEnvironmentBytes} bytes.");
                        }

                        byte[] larger = GC.AllocateArray<byte>(buffer.Length * 2, pinned: true);
                        buffer.CopyTo(larger, 0);
                        CryptographicOperations.ZeroMemory(buffer);
                        buffer = larger;
                    }

                    int read = file.Read(buffer, length, buffer.Length - length);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }
            }

            ReadOnlySpan<byte> environment = buffer.AsSpan(0, length);
            return TryFind(environment, name, out Range value) && !environment[value].IsEmpty ? handle(environment[value]) : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
