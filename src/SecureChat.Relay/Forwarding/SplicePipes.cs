using System.Globalization;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The kernel pipes of the zero-copy path (Linux only): a direction opens one when it starts to
/// stream and closes it when it goes idle or ends, so idle pairs hold none. A pipe is two file
/// descriptors, both taken from the pipes' own share of the open-file limit, never from the socket
/// cap (<paramref name="tryTakeDescriptor"/>, <paramref name="giveDescriptor"/>; see
/// <see cref="RelayLimits.ZeroCopyPipes"/>): with no descriptor to spare, or when <c>pipe2</c> or
/// <c>F_SETPIPE_SZ</c> fails (EMFILE, ENFILE, the per-user pipe limit), no pipe is opened for
/// <see cref="RetryDelay"/> and directions forward with the managed copy meanwhile — a back-off,
/// never a spin. Each pipe is sized to <see cref="RelayLimits.MaxReadSize"/>, at most the system's
/// <c>/proc/sys/fs/pipe-max-size</c>.
/// </summary>
internal sealed class SplicePipes(RelayLimits limits, TimeProvider time, Func<bool> tryTakeDescriptor, Action giveDescriptor)
{
    /// <summary>How long no pipe is opened after one could not be.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly int _capacity = Math.Min(limits.MaxReadSize, SystemMaximum());
    private readonly bool _supported = limits.ZeroCopy && OperatingSystem.IsLinux();
    private long _retryAfter;
    private int _open;
    private int _opened;
    private int _failed;
    private bool _disabled;

    /// <summary>Pipes open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Pipes opened so far.</summary>
    public int Opened => Volatile.Read(ref _opened);

    /// <summary>Times a pipe was wanted and none could be opened (the managed copy was used).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>True while directions should try the zero-copy path at all.</summary>
    public bool Enabled => _supported && !Volatile.Read(ref _disabled);

    /// <summary>The capacity a pipe is given.</summary>
    public int Capacity => _capacity;

    /// <summary>A new pipe, or null (use the managed copy).</summary>
    public SplicePipe? TryOpen()
    {
        if (!Enabled)
        {
            return null;
        }

        long retryAfter = Volatile.Read(ref _retryAfter);
        if (retryAfter != 0 && time.GetTimestamp() < retryAfter)
        {
            Interlocked.Increment(ref _failed);
            return null;
        }

        if (!tryTakeDescriptor())
        {
            return BackOff();
        }

        if (!tryTakeDescriptor())
        {
            giveDescriptor();
            return BackOff();
        }

        if (!LinuxSplice.TryCreatePipe(out int readEnd, out int writeEnd, out int errno))
        {
            giveDescriptor();
            giveDescriptor();
            if (errno is LinuxSplice.ENoSys)
            {
                Disable();
            }

            return BackOff();
        }

        int capacity = LinuxSplice.SetPipeSize(writeEnd, _capacity, out _);
        if (capacity <= 0)
        {
            // EPERM: the user's pipe pages are over /proc/sys/fs/pipe-user-pages-soft; ENOMEM.
            LinuxSplice.Close(readEnd);
            LinuxSplice.Close(writeEnd);
            giveDescriptor();
            giveDescriptor();
            return BackOff();
        }

        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _opened);
        return new SplicePipe(readEnd, writeEnd, Math.Min(capacity, _capacity));
    }

    /// <summary>Closes a pipe and gives its descriptors back (once per pipe).</summary>
    public void Close(SplicePipe pipe)
    {
        LinuxSplice.Close(pipe.ReadEnd);
        LinuxSplice.Close(pipe.WriteEnd);
        giveDescriptor();
        giveDescriptor();
        Interlocked.Decrement(ref _open);
    }

    /// <summary>splice(2) is missing here (ENOSYS): every direction uses the managed copy from now on.</summary>
    public void Disable() => Volatile.Write(ref _disabled, true);

    private SplicePipe? BackOff()
    {
        Interlocked.Increment(ref _failed);
        Volatile.Write(ref _retryAfter, time.GetTimestamp() + (long)(RetryDelay.TotalSeconds * time.TimestampFrequency));
        return null;
    }

    private static int SystemMaximum()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return 1024 * 1024; // Linux's default
        }
    }
}

/// <summary>
/// One pipe: its two non-blocking, close-on-exec descriptors and its capacity. Used by one
/// direction at a time and closed by it through <see cref="SplicePipes.Close"/>.
/// </summary>
internal sealed record SplicePipe(int ReadEnd, int WriteEnd, int Capacity);
