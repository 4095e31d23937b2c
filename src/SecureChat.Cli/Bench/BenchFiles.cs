namespace SecureChat.Cli.Bench;

/// <summary>
/// The files of the bulk phases: one source file of random bytes and a directory for received
/// copies, both in memory (/dev/shm when it exists, else the temp directory), so the disk bounds
/// neither side. Deleted when disposed.
/// </summary>
internal sealed class BenchFiles : IDisposable
{
    private int _next;

    private BenchFiles(string directory, long size)
    {
        Directory = directory;
        Source = Path.Combine(directory, "source.bin");
        Incoming = Path.Combine(directory, "incoming");
        Size = size;
    }

    /// <summary>The bench's own directory (0700).</summary>
    public string Directory { get; }

    /// <summary>The file every bulk phase sends.</summary>
    public string Source { get; }

    /// <summary>Where received copies go.</summary>
    public string Incoming { get; }

    /// <summary>The source file's length in bytes.</summary>
    public long Size { get; }

    /// <summary>
    /// A source file big enough for the phase to be steady state (128 MiB per second of phase,
    /// from 4 to 512 MiB: several files per phase at the rates this machine reaches). It goes to
    /// /dev/shm when that has room for it, a copy and the receiver's 64 MiB reserve
    /// (SessionOptions.MaxIncomingFileSize); else to the temp directory, smaller if need be.
    /// </summary>
    public static BenchFiles Create(TimeSpan phase)
    {
        const long MiB = 1 << 20;
        const long Reserve = 128 * MiB;
        long size = Math.Clamp((long)(phase.TotalSeconds * 128) * MiB, 4 * MiB, 512 * MiB);
        string root = System.IO.Directory.Exists("/dev/shm") && FreeSpace("/dev/shm") >= 2 * size + Reserve ? "/dev/shm" : Path.GetTempPath();
        size = Math.Clamp((FreeSpace(root) - Reserve) / 2 / MiB * MiB, 4 * MiB, size);
        string directory = Path.Combine(root, $"securechat-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var files = new BenchFiles(directory, size);
        try
        {
            System.IO.Directory.CreateDirectory(files.Incoming);
            byte[] chunk = new byte[MiB];
            using FileStream source = new(files.Source, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            for (long written = 0; written < size; written += chunk.Length)
            {
                Random.Shared.NextBytes(chunk);
                source.Write(chunk);
            }
        }
        catch
        {
            files.Dispose();
            throw;
        }

        return files;
    }

    private static long FreeSpace(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }

    /// <summary>A path in <see cref="Incoming"/> that no copy has used yet.</summary>
    public string NewDestination() => Path.Combine(Incoming, $"raw-{Interlocked.Increment(ref _next)}.bin");

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temp directory left behind.
        }
    }
}
