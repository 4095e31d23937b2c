using System.Runtime.InteropServices;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The Linux system calls of the zero-copy path (splice(2), pipe2(2), fcntl(2), read(2),
/// close(2)), bound to libc. Each returns the call's result and, on failure, the errno. The errno
/// and flag values are Linux's generic ones, shared by every architecture .NET runs on there.
/// </summary>
internal static unsafe partial class LinuxSplice
{
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EPerm = 1;
    public const int ENoMem = 12;
    public const int EInval = 22;
    public const int ENFile = 23;
    public const int EMFile = 24;
    public const int ENoSys = 38;
    public const int EOpNotSupp = 95;

    private const uint SpliceMove = 1;
    private const uint SpliceNonBlock = 2;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int FGetFl = 3;
    private const int FSetPipeSize = 1031;
    private const int FGetPipeSize = 1032;

    /// <summary>Moves up to <paramref name="length"/> bytes from <paramref name="from"/> to <paramref name="to"/> without blocking (one of them a pipe); the count (0: end of input), or -1 and <paramref name="errno"/>.</summary>
    public static long Move(int from, int to, int length, out int errno)
    {
        long moved;
        do
        {
            moved = Splice(from, 0, to, 0, (nuint)length, SpliceMove | SpliceNonBlock);
            errno = moved < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (errno == EIntr);

        return moved;
    }

    /// <summary>A pipe with both ends non-blocking and close-on-exec; false with <paramref name="errno"/> when none could be made.</summary>
    public static bool TryCreatePipe(out int readEnd, out int writeEnd, out int errno)
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, ONonBlock | OCloExec) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            readEnd = writeEnd = -1;
            return false;
        }

        readEnd = fds[0];
        writeEnd = fds[1];
        errno = 0;
        return true;
    }

    /// <summary>Sets a pipe's capacity (the kernel rounds it up to a power of two pages); the capacity now, or -1 and <paramref name="errno"/>.</summary>
    public static int SetPipeSize(int fd, int bytes, out int errno)
    {
        int result = Fcntl(fd, FSetPipeSize, bytes);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    /// <summary>A pipe's capacity, or -1.</summary>
    public static int GetPipeSize(int fd) => Fcntl(fd, FGetPipeSize, 0);

    /// <summary>True when <paramref name="fd"/> is in non-blocking mode (every syscall here must never block a thread-pool thread).</summary>
    public static bool IsNonBlocking(int fd)
    {
        int flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && (flags & ONonBlock) != 0;
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length; the count, or -1 and <paramref name="errno"/>.</summary>
    public static long Read(int fd, Span<byte> buffer, out int errno)
    {
        long read;
        fixed (byte* p = buffer)
        {
            do
            {
                read = ReadNative(fd, p, (nuint)buffer.Length);
                errno = read < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (errno == EIntr);
        }

        return read;
    }

    /// <summary>Closes a descriptor (once: the caller forgets it, whatever the result).</summary>
    public static void Close(int fd) => _ = CloseNative(fd);

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);
}
