using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SecureChat.Platform;

namespace SecureChat.Transfer;

/// <summary>
/// Opens the receiver's own working files (NAME.part, NAME.part.meta) without following a symbolic
/// link, and checks what was opened: a regular file, owned by this user, with exactly one link. A
/// download directory another local user can write to may hold a planted NAME.part that links to
/// a file of ours (~/.ssh/authorized_keys); following it would let the peer truncate and append to
/// that file.
/// <para>
/// Linux: open(2) with O_NOFOLLOW, then statx(2) on the opened descriptor, so the check and the use
/// are about the same file. Elsewhere: a managed check of the path before opening it (FileSystemInfo.LinkTarget),
/// which a local attacker could race; creating is still exclusive (O_CREAT|O_EXCL never follows a link).
/// </para>
/// <para>
/// DllImport, not LibraryImport: the generated stubs need unsafe code, which this library keeps off
/// (as does the SecureChat.Compat assembly's RsaPss.cs); every signature here is blittable, so no marshalling stub is generated.
/// open(2) is variadic in C; on Linux x86-64 and arm64 a variadic int goes in the same register as a
/// fixed one, so declaring the mode as a fixed parameter is sound there.
/// </para>
/// </summary>
internal static class NoFollowFile
{
    /// <summary>File mode of the files this class creates: 0600, whatever the umask.</summary>
    private const uint OwnerReadWrite = 0x180;

    private const int ORdOnly = 0x0;
    private const int ORdWr = 0x2;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int ONonBlock = 0x800; // a planted FIFO must not block the open
    private const int OCloExec = 0x80000;


    private const int ENoEnt = 2;
    private const int EExist = 17;

    /// <summary>What <see cref="Inspect"/> found at a path.</summary>
    public enum Found
    {
        /// <summary>Nothing is there.</summary>
        Missing,

        /// <summary>A regular file of ours with one link: the handle is open.</summary>
        Usable,

        /// <summary>Something that must not be used: a link, a directory, another user's file, a hard-linked file.</summary>
        Unusable,
    }

    /// <summary>
    /// Opens <paramref name="path"/> (read-write when <paramref name="write"/>) if it is a regular
    /// file of ours with one link, without following a link. <paramref name="length"/> is its size.
    /// </summary>
    /// <exception cref="IOException">The file cannot be examined (an I/O error).</exception>
    public static Found Inspect(string path, bool write, out SafeFileHandle? handle, out long length)
    {
        handle = null;
        length = 0;
        if (NoFollowFlag() is int noFollow)
        {
            int fd = Native.Open(Utf8Z(path), (write ? ORdWr : ORdOnly) | noFollow | OCloExec | ONonBlock, 0);
            if (fd < 0)
            {
                // ELOOP is a symbolic link; EISDIR, ENXIO (a socket), EACCES (not ours) are as unusable.
                return Marshal.GetLastPInvokeError() == ENoEnt ? Found.Missing : Found.Unusable;
            }

            var opened = new SafeFileHandle(fd, ownsHandle: true);
            if (!IsOwnRegularFile(opened, path, out length))
            {
                opened.Dispose();
                return Found.Unusable;
            }

            handle = opened;
            return Found.Usable;
        }

        return InspectManaged(path, write, out handle, out length);
    }

    /// <summary>
    /// Creates <paramref name="path"/> read-write, mode 0600, failing when anything (a file, a link,
    /// a dangling link) is already there.
    /// </summary>
    /// <returns>The new file, or null when the name is taken.</returns>
    /// <exception cref="IOException">The file cannot be created (permissions, disk full, I/O error).</exception>
    public static SafeFileHandle? CreateNew(string path)
    {
        if (NoFollowFlag() is int noFollow)
        {
            int fd = Native.Open(Utf8Z(path), ORdWr | OCreat | OExcl | noFollow | OCloExec, OwnerReadWrite);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == EExist ? null : throw Error(errno, path);
            }

            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            // File.OpenHandle cannot set the creation mode; an unbuffered FileStream can, and its
            // handle outlives it (a FileStream that is not disposed leaves its handle open).
            return new FileStream(path, options).SafeFileHandle;
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            return null;
        }
    }

    /// <summary>The O_NOFOLLOW value of this Linux architecture; null where the managed fallback is used.</summary>
    private static int? NoFollowFlag()
    {
        if (!OperatingSystem.IsLinux() || !Native.Available)
        {
            return null;
        }

        return RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 or Architecture.RiscV64 or Architecture.LoongArch64 or Architecture.S390x => 0x20000,
            Architecture.Arm64 or Architecture.Arm or Architecture.Armv6 or Architecture.Ppc64le => 0x8000,
            _ => null,
        };
    }

    /// <summary>statx(2) on the descriptor: a regular file, owned by our effective uid, one link.</summary>
    private static bool IsOwnRegularFile(SafeFileHandle handle, string path, out long length)
    {
        if (!UnixFileStatus.TryOfHandle(handle, out UnixFileStatus status, out int errno))
        {
            throw Error(errno, path);
        }

        length = status.Size;
        return status.IsRegularFile && status.IsOwnedByMe && status.LinkCount == 1;
    }

    /// <summary>
    /// Not Linux: refuse links and anything but a regular file by looking at the path first. There is
    /// no portable O_NOFOLLOW in .NET, so a link planted between the look and the open is not caught.
    /// </summary>
    private static Found InspectManaged(string path, bool write, out SafeFileHandle? handle, out long length)
    {
        handle = null;
        length = 0;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return info.LinkTarget is not null || Directory.Exists(path) ? Found.Unusable : Found.Missing;
        }

        if (info.LinkTarget is not null || (info.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Device)) != 0)
        {
            return Found.Unusable;
        }

        try
        {
            handle = File.OpenHandle(path, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException)
        {
            return Found.Missing;
        }
        catch (UnauthorizedAccessException)
        {
            return Found.Unusable;
        }

        length = RandomAccess.GetLength(handle);
        return Found.Usable;
    }

    private static byte[] Utf8Z(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    private static IOException Error(int errno, string path) =>
        new($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    /// <summary>The libc functions used (Linux only).</summary>
    private static class Native
    {
        /// <summary>False without statx (glibc before 2.28) or open: the managed fallback is used.</summary>
        public static readonly bool Available = UnixFileStatus.IsAvailable && HasOpen();

#pragma warning disable SYSLIB1054 // DllImport, not LibraryImport: see the class comment.
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags, uint mode);
#pragma warning restore SYSLIB1054

        private static bool HasOpen()
        {
            try
            {
                return NativeLibrary.TryLoad("libc", typeof(NoFollowFile).Assembly, DllImportSearchPath.SafeDirectories, out IntPtr lib)
                    && NativeLibrary.TryGetExport(lib, "open", out _);
            }
            catch (DllNotFoundException)
            {
                return false;
            }
        }
    }
}
