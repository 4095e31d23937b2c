using System.Security.Cryptography;

namespace SecureChat.Cli.Tests.Files;

/// <summary>Files of random bytes for transfer tests, with their SHA-256.</summary>
internal static class TestFiles
{
    public static string Create(string path, long size, int seed = 1)
    {
        var random = new Random(seed);
        byte[] buffer = new byte[1 << 20];
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (long written = 0; written < size; written += buffer.Length)
            {
                random.NextBytes(buffer);
                file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
            }
        }

        return Sha256(path);
    }

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}

/// <summary>One large file shared by the tests of a class (created once: a few hundred MB).</summary>
public sealed class LargeFile : IDisposable
{
    public const long Size = 200_000_000;

    public LargeFile()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("securechat-large-").FullName;
        Path = System.IO.Path.Combine(Directory, "large file.bin");
        Sha256 = TestFiles.Create(Path, Size, seed: 42);
    }

    public string Directory { get; }

    public string Path { get; }

    public string Sha256 { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
