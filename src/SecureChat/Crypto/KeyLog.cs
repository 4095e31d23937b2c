using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// The debugging key log (the SSLKEYLOGFILE idea): when enabled, appends one line "LABEL hex\n" per
/// secret as it comes into use. The hex text is built in a stack buffer and written straight to an
/// unbuffered file handle, so no string and no stream buffer ever holds it; the stack buffer is
/// wiped after each line. Several sessions (and processes) may share one log: .NET does not open
/// files with O_APPEND, so each line is written at the end under a process-wide lock and an
/// advisory record lock on the file.
/// </summary>
internal sealed class KeyLog : IDisposable
{
    /// <summary>The environment variable that names the key log file.</summary>
    public const string EnvironmentVariable = "SECURECHAT_KEYLOGFILE";

    private static readonly Lock Gate = new();
    private readonly FileStream _file;

    private KeyLog(FileStream file) => _file = file;

    /// <summary>
    /// Opens the log named by <paramref name="path"/>, or returns null when it is empty. A new file is
    /// created exclusively with mode 0600; an existing one must be a regular file of ours with mode
    /// 0600 (not a symbolic link), or session keys would be written where others can read them.
    /// </summary>
    /// <exception cref="IOException">The file is unsafe or cannot be opened; the message says what to do.</exception>
    public static KeyLog? Open(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        return new KeyLog(OwnerOnlyFile.OpenForWriting(path, $"The key log ({EnvironmentVariable})"));
    }

    /// <summary>Appends "label hex(secret)\n". Labels are ASCII constants chosen by the library.</summary>
    public void Write(string label, ReadOnlySpan<byte> secret)
    {
        int length = label.Length + 1 + (2 * secret.Length) + 1;
        Span<byte> line = length <= 512 ? stackalloc byte[length] : new byte[length];
        try
        {
            for (int i = 0; i < label.Length; i++)
            {
                line[i] = (byte)label[i];
            }

            int pos = label.Length;
            line[pos++] = (byte)' ';
            foreach (byte b in secret)
            {
                line[pos++] = Hex(b >> 4);
                line[pos++] = Hex(b & 0xF);
            }

            line[pos] = (byte)'\n';
            lock (Gate)
            {
                LockFile();
                try
                {
                    _file.Seek(0, SeekOrigin.End);
                    _file.Write(line);
                }
                finally
                {
                    if (!OperatingSystem.IsMacOS())
                    {
                        _file.Unlock(0, 1);
                    }
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(line);
        }
    }

    private void LockFile()
    {
        if (OperatingSystem.IsMacOS())
        {
            return; // No record locks there; lines from one process are still serialised.
        }

        for (int attempt = 0; ; attempt++)
        {
            try
            {
                _file.Lock(0, 1);
                return;
            }
            catch (IOException) when (attempt < 400)
            {
                // Another process is writing its line.
                Thread.Sleep(5);
            }
        }
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    public void Dispose() => _file.Dispose();
}
