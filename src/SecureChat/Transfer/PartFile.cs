using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace SecureChat.Transfer;

/// <summary>
/// Where an incoming file is written while it arrives: NAME.part, with NAME.part.meta beside it
/// recording the offer's size, its SHA-256 (null when the offer came without one) and the
/// fingerprint of the authenticated peer that sent it. A later offer of the same name and size into
/// the same directory resumes from what the .part holds only when it comes from that same peer (and
/// the hashes agree, when both are known) — once the sender has checked the prefix (FILE_ACCEPT's
/// challenge and prefix_mac). A .meta without a peer, or with another peer's, is never reused: the
/// next free name is taken, and the other transfer's .part is left as it is. Both are opened without
/// following links (<see cref="NoFollowFile"/>) and used only when they are regular files of ours
/// with one link, the .meta at most 1 KiB and matching the offer, the .part no longer than the
/// offered size; anything else at a name is left alone and the next free name is taken. New ones are
/// created exclusively, mode 0600. The open .part is the transfer's one file descriptor.
/// </summary>
internal sealed class PartFile : IDisposable
{
    /// <summary>A .meta holds {"size":…,"sha256":"…"|null,"peer":"SHA256:…"}: far less than this.</summary>
    private const int MaxMetaLength = 1024;

    /// <summary>.part paths in use by a transfer in this process: two transfers never share one.</summary>
    private static readonly ConcurrentDictionary<string, byte> InUse = new(StringComparer.Ordinal);

    private SafeFileHandle? _handle;

    private PartFile(string directory, string baseName, SafeFileHandle handle, long existing)
    {
        Directory = directory;
        BaseName = baseName;
        Path = System.IO.Path.Combine(directory, baseName + ".part");
        MetaPath = Path + ".meta";
        _handle = handle;
        Existing = existing;
    }

    public string Directory { get; }

    /// <summary>The safe name the .part is named after (the final name is chosen when the file is complete).</summary>
    public string BaseName { get; }

    public string Path { get; }

    public string MetaPath { get; }

    /// <summary>How many bytes of a previous attempt the .part holds (0 for a new one).</summary>
    public long Existing { get; }

    /// <summary>The open .part, read-write.</summary>
    public SafeFileHandle Handle => _handle ?? throw new ObjectDisposedException(nameof(PartFile));

    /// <summary>
    /// Finds the .part for this offer: the one a previous attempt from the same peer left (same
    /// <paramref name="peer"/> fingerprint, same size; same SHA-256 when the .meta and the offer both
    /// have one), or a new one whose name is free, and opens it. Claims it for this process until
    /// <see cref="Release"/>.
    /// </summary>
    /// <param name="directory">The download directory.</param>
    /// <param name="safeName">The offered name, already reduced to a safe file name.</param>
    /// <param name="size">The offered size.</param>
    /// <param name="sha256">The offer's SHA-256 (lower-case hex), or null.</param>
    /// <param name="peer">The fingerprint of the session's authenticated peer: a .meta must record it to be reused, and a new one records it.</param>
    /// <exception cref="IOException">The directory cannot be used.</exception>
    public static PartFile Claim(string directory, string safeName, long size, string? sha256, string peer)
    {
        for (int n = 0; n < 1000; n++)
        {
            string baseName = n == 0 ? safeName : SafeFileName.Numbered(safeName, n);
            string part = System.IO.Path.Combine(directory, baseName + ".part");
            if (!InUse.TryAdd(part, 0))
            {
                continue;
            }

            PartFile? claimed = null;
            try
            {
                claimed = TryResume(directory, baseName, part, size, sha256, peer) ?? TryCreate(directory, baseName, part, size, sha256, peer);
            }
            finally
            {
                if (claimed is null)
                {
                    InUse.TryRemove(part, out _);
                }
            }

            if (claimed is not null)
            {
                return claimed;
            }
        }

        throw new IOException($"No free name for {safeName}.part in {directory} after 1000 attempts: remove old .part files there, or choose another download directory.");
    }

    /// <summary>The .part and .meta a previous attempt left for this very file, or null.</summary>
    private static PartFile? TryResume(string directory, string baseName, string part, long size, string? sha256, string peer)
    {
        if (NoFollowFile.Inspect(part, write: true, out SafeFileHandle? handle, out long length) != NoFollowFile.Found.Usable)
        {
            return null;
        }

        if (length <= size && MetaMatches(part + ".meta", size, sha256, peer))
        {
            return new PartFile(directory, baseName, handle!, length);
        }

        handle!.Dispose();
        return null;
    }

    /// <summary>A new .part and .meta when neither name is taken (by anything, even a dangling link), or null.</summary>
    private static PartFile? TryCreate(string directory, string baseName, string part, long size, string? sha256, string peer)
    {
        string meta = part + ".meta";
        if (NoFollowFile.Inspect(meta, write: false, out SafeFileHandle? existing, out _) != NoFollowFile.Found.Missing)
        {
            existing?.Dispose();
            return null; // a .meta without its .part, or not ours: leave it alone
        }

        SafeFileHandle? handle = NoFollowFile.CreateNew(part);
        if (handle is null)
        {
            return null;
        }

        try
        {
            using SafeFileHandle? metaHandle = NoFollowFile.CreateNew(meta);
            if (metaHandle is null)
            {
                handle.Dispose();
                TryDelete(part);
                return null;
            }

            RandomAccess.Write(metaHandle, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?> { ["size"] = size, ["sha256"] = sha256, ["peer"] = peer }), 0);
        }
        catch
        {
            handle.Dispose();
            TryDelete(part);
            TryDelete(meta);
            throw;
        }

        return new PartFile(directory, baseName, handle, 0);
    }

    /// <summary>
    /// Closes the complete .part and moves it to NAME, or NAME (1), NAME (2)… when anything is at that
    /// name (never overwriting, never following a link), removes the .meta, and returns the final path.
    /// </summary>
    public string Complete(string safeName)
    {
        Dispose();
        for (int n = 0; n < 10_000; n++)
        {
            string name = n == 0 ? safeName : SafeFileName.Numbered(safeName, n);
            string target = System.IO.Path.Combine(Directory, name);
            if (InUse.ContainsKey(target) || Taken(target))
            {
                continue;
            }

            try
            {
                File.Move(Path, target, overwrite: false);
            }
            catch (IOException) when (Taken(target))
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
        Dispose();
        TryDelete(Path);
        TryDelete(MetaPath);
    }

    public void Release() => InUse.TryRemove(Path, out _);

    /// <summary>Closes the .part (it stays on disk: <see cref="Delete"/> removes it).</summary>
    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    /// <summary>
    /// True when the .meta beside a .part is a regular file of ours, small, and records this
    /// <paramref name="peer"/> (the same authenticated sender: a .meta without one, from an older
    /// version, never matches), this size, and a SHA-256 that is null, or this one, or the offer has
    /// none (the prefix proof decides then).
    /// </summary>
    private static bool MetaMatches(string meta, long size, string? sha256, string peer)
    {
        if (NoFollowFile.Inspect(meta, write: false, out SafeFileHandle? handle, out long length) != NoFollowFile.Found.Usable)
        {
            return false;
        }

        using (handle)
        {
            if (length > MaxMetaLength)
            {
                return false;
            }

            try
            {
                byte[] json = new byte[length];
                if (RandomAccess.Read(handle!, json, 0) != length)
                {
                    return false;
                }

                using JsonDocument document = JsonDocument.Parse(json);
                JsonElement root = document.RootElement;
                return root.ValueKind == JsonValueKind.Object
                    && root.TryGetProperty("peer", out JsonElement p) && p.ValueKind == JsonValueKind.String && string.Equals(p.GetString(), peer, StringComparison.Ordinal)
                    && root.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long recordedSize) && recordedSize == size
                    && root.TryGetProperty("sha256", out JsonElement h)
                    && (h.ValueKind == JsonValueKind.Null || (h.ValueKind == JsonValueKind.String && (sha256 is null || h.GetString() == sha256)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>True when anything is at <paramref name="path"/>, a dangling link included.</summary>
    private static bool Taken(string path) =>
        File.Exists(path) || System.IO.Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

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
