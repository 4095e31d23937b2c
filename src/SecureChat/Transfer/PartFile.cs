using System.Collections.Concurrent;
using System.Text.Json;

namespace SecureChat.Transfer;

/// <summary>
/// Where an incoming file is written while it arrives: NAME.part, with NAME.part.meta beside it
/// recording the offer's size and SHA-256, so that a later offer of the same file into the same
/// directory resumes from what the .part holds. A file that securechat did not create (no matching
/// .meta) is never reused or overwritten.
/// </summary>
internal sealed class PartFile
{
    /// <summary>.part paths in use by a transfer in this process: two transfers never share one.</summary>
    private static readonly ConcurrentDictionary<string, byte> InUse = new(StringComparer.Ordinal);

    private PartFile(string directory, string baseName, long existing)
    {
        Directory = directory;
        BaseName = baseName;
        Path = System.IO.Path.Combine(directory, baseName + ".part");
        MetaPath = Path + ".meta";
        Existing = existing;
    }

    public string Directory { get; }

    /// <summary>The safe name the .part is named after (the final name is chosen when the file is complete).</summary>
    public string BaseName { get; }

    public string Path { get; }

    public string MetaPath { get; }

    /// <summary>How many bytes of a previous attempt the .part holds (0 for a new one).</summary>
    public long Existing { get; }

    /// <summary>
    /// Finds the .part for this offer: the one a previous attempt left (same size and SHA-256), or
    /// a new one whose name is free. Claims it for this process until <see cref="Release"/>.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be used.</exception>
    public static PartFile Claim(string directory, string safeName, long size, string sha256)
    {
        for (int n = 0; n < 1000; n++)
        {
            string baseName = n == 0 ? safeName : SafeFileName.Numbered(safeName, n);
            string part = System.IO.Path.Combine(directory, baseName + ".part");
            string meta = part + ".meta";
            if (!InUse.TryAdd(part, 0))
            {
                continue;
            }

            bool partExists = File.Exists(part);
            bool metaExists = File.Exists(meta);
            if (partExists && metaExists && MetaMatches(meta, size, sha256))
            {
                long existing = Math.Min(new FileInfo(part).Length, size);
                return new PartFile(directory, baseName, existing);
            }

            if (!partExists && !metaExists)
            {
                var claimed = new PartFile(directory, baseName, 0);
                claimed.WriteMeta(size, sha256);
                return claimed;
            }

            InUse.TryRemove(part, out _);
        }

        throw new IOException($"No free name for {safeName}.part in {directory} after 1000 attempts.");
    }

    /// <summary>Opens the .part for writing, cut to <see cref="Existing"/> bytes.</summary>
    public FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(Path, options);
        stream.SetLength(Existing);
        return stream;
    }

    /// <summary>
    /// Moves the complete .part to NAME, or NAME (1), NAME (2)… when that exists (never overwriting),
    /// removes the .meta, and returns the final path.
    /// </summary>
    public string Complete(string safeName)
    {
        for (int n = 0; n < 10_000; n++)
        {
            string name = n == 0 ? safeName : SafeFileName.Numbered(safeName, n);
            string target = System.IO.Path.Combine(Directory, name);
            if (File.Exists(target) || System.IO.Directory.Exists(target) || InUse.ContainsKey(target))
            {
                continue;
            }

            try
            {
                File.Move(Path, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                continue; // created meanwhile
            }

            TryDelete(MetaPath);
            return target;
        }

        throw new IOException($"No free name for {safeName} in {Directory}.");
    }

    /// <summary>Deletes the .part and its .meta (a file that failed its hash check).</summary>
    public void Delete()
    {
        TryDelete(Path);
        TryDelete(MetaPath);
    }

    public void Release() => InUse.TryRemove(Path, out _);

    private void WriteMeta(long size, string sha256)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["size"] = size, ["sha256"] = sha256 });
        File.WriteAllBytes(MetaPath, json);
    }

    private static bool MetaMatches(string meta, long size, string sha256)
    {
        try
        {
            if (new FileInfo(meta).Length > 1024)
            {
                return false;
            }

            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(meta));
            JsonElement root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long recordedSize) && recordedSize == size
                && root.TryGetProperty("sha256", out JsonElement h) && h.ValueKind == JsonValueKind.String && h.GetString() == sha256;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind; nothing else to do.
        }
    }
}
