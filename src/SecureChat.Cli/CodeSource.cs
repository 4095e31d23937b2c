using System.Security.Cryptography;
using SecureChat.Rendezvous;

namespace SecureChat.Cli;

/// <summary>
/// Where a joiner's code comes from, in this order: --code-file (first line), SECURECHAT_CODE, or a
/// prompt on the terminal with Tab completion of the words and "did you mean" for a misspelt one
/// (<see cref="CodePrompt"/>). Never the command line. Each word is checked before anything is
/// sent, so a typo does not spend the code.
/// </summary>
internal static class CodeSource
{
    public const string EnvironmentVariable = "SECURECHAT_CODE";
    private const int MaxFileBytes = 4096;

    /// <summary>Obtains the code, owned by the caller.</summary>
    /// <exception cref="UsageException">No source, or what it holds is not a valid code.</exception>
    public static Code Obtain(string? file, bool withNameplate, bool stdinIsTerminal)
    {
        if (file is not null)
        {
            return FromFile(file, withNameplate);
        }

        try
        {
            if (Code.FromEnvironment(EnvironmentVariable, withNameplate) is { } fromEnvironment)
            {
                return fromEnvironment;
            }
        }
        catch (CodeFormatException e)
        {
            throw new UsageException($"The code in {EnvironmentVariable} is not valid: {e.Problem.Message}");
        }

        if (!stdinIsTerminal)
        {
            throw new UsageException($"A code is needed, and stdin is not a terminal to type it on: set {EnvironmentVariable} or use --code-file PATH (never put it on the command line).");
        }

        return CodePrompt.Read(withNameplate);
    }

    private static Code FromFile(string path, bool withNameplate)
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
                throw new UsageException($"The code file {path} is larger than {MaxFileBytes} bytes: is it the right file?");
            }

            ReadOnlySpan<byte> content = bytes.AsSpan(0, length);
            int lineEnd = content.IndexOf((byte)'\n');
            return Code.FromUtf8(lineEnd >= 0 ? content[..lineEnd] : content, withNameplate);
        }
        catch (CodeFormatException e)
        {
            throw new UsageException($"The code in {path} is not valid: {e.Problem.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read the code file {path}: {e.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
