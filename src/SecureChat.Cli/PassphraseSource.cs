using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Identity;

namespace SecureChat.Cli;

/// <summary>
/// Where a passphrase comes from, in this order: a file option, an environment variable, or the
/// terminal without echo. Never the command line, which other users can read in the process list.
/// A file holds the passphrase on its first line. --psk uses --passphrase-file and
/// SECURECHAT_PASSPHRASE; --compat seed-aes has its own, --seed-aes-passphrase-file and
/// SECURECHAT_SEED_AES_PASSPHRASE, because a recorded seed-aes chat lets anyone test guesses of its
/// passphrase offline, and that must not be the --psk one. seed-aes keeps the bytes exactly as given
/// (verbatim), as the original program does.
/// </summary>
internal static class PassphraseSource
{
    public const string EnvironmentVariable = "SECURECHAT_PASSPHRASE";
    public const string SeedAesEnvironmentVariable = "SECURECHAT_SEED_AES_PASSPHRASE";
    public const string SeedAesFileOption = "--seed-aes-passphrase-file";
    private const int MaxFileBytes = 4096;

    /// <summary>Obtains the --psk passphrase, or the --compat seed-aes one when <paramref name="seedAes"/>.</summary>
    /// <exception cref="UsageException">No source, or the source is unusable.</exception>
    public static Passphrase Obtain(string? file, bool stdinIsTerminal, bool seedAes = false)
    {
        if (file is not null)
        {
            return FromFile(file, verbatim: seedAes);
        }

        string variable = seedAes ? SeedAesEnvironmentVariable : EnvironmentVariable;
        Passphrase? fromEnvironment;
        try
        {
            fromEnvironment = Passphrase.FromEnvironment(variable, verbatim: seedAes);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"The passphrase from {variable} cannot be used: {Fault.ArgumentMessage(e)}");
        }

        if (fromEnvironment is not null)
        {
            return fromEnvironment;
        }

        if (!stdinIsTerminal)
        {
            throw new UsageException(seedAes
                ? $"--compat seed-aes needs a passphrase, and stdin is not a terminal to type it on: set {SeedAesEnvironmentVariable} or use {SeedAesFileOption} PATH."
                : $"--psk needs a passphrase, and stdin is not a terminal to type it on: set {EnvironmentVariable} or use --passphrase-file PATH.");
        }

        return FromTerminal(verbatim: seedAes);
    }

    /// <summary>
    /// True when the seed-aes passphrase is exactly SECURECHAT_PASSPHRASE (both as bytes, compared
    /// in constant time, neither made a string). A value that cannot be a passphrase matches nothing.
    /// </summary>
    public static bool SameAsPskEnvironment(Passphrase seedAes)
    {
        try
        {
            using Passphrase? psk = Passphrase.FromEnvironment(EnvironmentVariable, verbatim: true);
            return psk is not null && seedAes.HasSameBytesAs(psk);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Passphrase FromFile(string path, bool verbatim)
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

            ReadOnlySpan<byte> content = bytes.AsSpan(0, length);
            int lineEnd = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> firstLine = lineEnd >= 0 ? content[..lineEnd] : content;
            if (!firstLine.IsEmpty && firstLine[^1] == (byte)'\r')
            {
                firstLine = firstLine[..^1];
            }

            if (verbatim)
            {
                return Create(static line => Passphrase.FromUtf8Verbatim(line), firstLine, path);
            }

            return Create(static line => Passphrase.FromUtf8(line), firstLine, path);
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

    private static Passphrase FromTerminal(bool verbatim)
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
            return FromChars(typed.AsSpan(0, length), "the terminal", verbatim);
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(typed.AsSpan()));
        }
    }

    private static Passphrase FromChars(ReadOnlySpan<char> chars, string source, bool verbatim)
    {
        if (!verbatim)
        {
            return Create(static c => Passphrase.FromChars(c), chars, source);
        }

        byte[] utf8 = GC.AllocateArray<byte>(Encoding.UTF8.GetMaxByteCount(chars.Length), pinned: true);
        try
        {
            int count = Encoding.UTF8.GetBytes(chars, utf8);
            return Create(static b => Passphrase.FromUtf8Verbatim(b), utf8.AsSpan(0, count), source);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    private delegate Passphrase Factory<T>(ReadOnlySpan<T> input);

    private static Passphrase Create<T>(Factory<T> create, ReadOnlySpan<T> input, string source)
    {
        try
        {
            return create(input);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"The passphrase from {source} cannot be used: {Fault.ArgumentMessage(e)}");
        }
    }
}

/// <summary>A usage error: printed as is, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
