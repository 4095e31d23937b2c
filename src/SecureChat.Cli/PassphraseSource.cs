using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SecureChat.Identity;

namespace SecureChat.Cli;

/// <summary>
/// Where the --psk passphrase comes from, in this order: --passphrase-file PATH, the environment
/// variable SECURECHAT_PASSPHRASE, or the terminal without echo. Never the command line, which
/// other users can read in the process list.
/// </summary>
internal static class PassphraseSource
{
    public const string EnvironmentVariable = "SECURECHAT_PASSPHRASE";
    private const int MaxFileBytes = 4096;

    /// <exception cref="UsageException">No source, or the source is unusable.</exception>
    public static Passphrase Obtain(string? file, bool stdinIsTerminal)
    {
        if (file is not null)
        {
            return FromFile(file);
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Create(() => Passphrase.FromChars(fromEnvironment), EnvironmentVariable);
        }

        if (!stdinIsTerminal)
        {
            throw new UsageException($"--psk needs a passphrase, and stdin is not a terminal to type it on: set {EnvironmentVariable} or use --passphrase-file PATH.");
        }

        return FromTerminal();
    }

    private static Passphrase FromFile(string path)
    {
        byte[] bytes = GC.AllocateArray<byte>(MaxFileBytes + 1, pinned: true);
        try
        {
            int length;
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
            {
                length = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            }

            if (length > MaxFileBytes)
            {
                throw new UsageException($"The passphrase file {path} is larger than {MaxFileBytes} bytes: is it the right file?");
            }

            return Create(() => Passphrase.FromUtf8(bytes.AsSpan(0, length)), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read the passphrase file {path}: {e.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static Passphrase FromTerminal()
    {
        char[] typed = GC.AllocateArray<char>(Passphrase.MaxBytes, pinned: true);
        int length = 0;
        bool treatControlC = Console.TreatControlCAsInput;
        try
        {
            Console.TreatControlCAsInput = true;
            Console.Error.Write("Passphrase: ");
            while (true)
            {
                ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
                {
                    Console.Error.WriteLine();
                    throw new UsageException("Cancelled: no passphrase was entered.");
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    length = Math.Max(0, length - 1);
                    continue;
                }

                if (!char.IsControl(key.KeyChar) && length < typed.Length)
                {
                    typed[length++] = key.KeyChar;
                }
            }

            Console.Error.WriteLine();
            return Create(() => Passphrase.FromChars(typed.AsSpan(0, length)), "the terminal");
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(typed.AsSpan()));
        }
    }

    private static Passphrase Create(Func<Passphrase> create, string source)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"The passphrase from {source} cannot be used: {e.Message}");
        }
    }
}

/// <summary>A usage error: printed as is, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
