using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SecureChat.Platform;

/// <summary>
/// What statx(2) says about a file (Linux): its type, permissions, owner, link count, size and
/// identity (device, inode). One binding for the library's files that must not be anybody else's:
/// the receiver's .part/.meta (Transfer/NoFollowFile.cs) and the key log (Crypto/OwnerOnlyFile.cs).
/// struct statx has the same layout on every Linux architecture (linux/stat.h): stx_nlink u32 at 16,
/// stx_uid u32 at 20, stx_mode u16 at 28, stx_ino u64 at 32, stx_size u64 at 40,
/// stx_dev_major/minor u32 at 136/140; it is written in the machine's byte order.
/// <para>
/// DllImport, not LibraryImport: the generated stubs need unsafe code, which this library keeps
/// off; every signature here is blittable, so no marshalling stub is generated.
/// </para>
/// </summary>
internal readonly record struct UnixFileStatus(ushort RawMode, uint OwnerId, uint LinkCount, long Size, ulong Device, ulong Inode)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int BufferSize = 256;
    private const ushort TypeMask = 0xF000;
    private const ushort RegularType = 0x8000;
    private const ushort LinkType = 0xA000;

    /// <summary>True where statx can be called (Linux with glibc 2.28 or later).</summary>
    public static readonly bool IsAvailable = Probe();

    public bool IsRegularFile => (RawMode & TypeMask) == RegularType;

    public bool IsSymbolicLink => (RawMode & TypeMask) == LinkType;

    /// <summary>The permission bits (rwx for user, group, others, and the special bits).</summary>
    public UnixFileMode Permissions => (UnixFileMode)(RawMode & 0xFFF);

    /// <summary>True when the file belongs to this process's effective user.</summary>
    public bool IsOwnedByMe => OwnerId == EffectiveUserId();

    public bool IsSameFileAs(UnixFileStatus other) => Device == other.Device && Inode == other.Inode;

    /// <summary>The file an open descriptor refers to; false with the errno when statx fails.</summary>
    public static bool TryOfHandle(SafeFileHandle handle, out UnixFileStatus status, out int errno)
    {
        byte[] buffer = new byte[BufferSize];
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Decode(Statx((int)handle.DangerousGetHandle(), [0], AtEmptyPath, StatxBasicStats, buffer), buffer, out status, out errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The file at a path, not following a final symbolic link (the link itself); false with the errno when statx fails.</summary>
    public static bool TryOfPath(string path, out UnixFileStatus status, out int errno)
    {
        byte[] cPath = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, cPath);
        byte[] buffer = new byte[BufferSize];
        return Decode(Statx(AtFdCwd, cPath, AtSymlinkNoFollow, StatxBasicStats, buffer), buffer, out status, out errno);
    }

    private static bool Decode(int result, byte[] buffer, out UnixFileStatus status, out int errno)
    {
        if (result != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            status = default;
            return false;
        }

        errno = 0;
        ReadOnlySpan<byte> s = buffer;
        status = new UnixFileStatus(
            RawMode: MemoryMarshal.Read<ushort>(s[28..]),
            OwnerId: MemoryMarshal.Read<uint>(s[20..]),
            LinkCount: MemoryMarshal.Read<uint>(s[16..]),
            Size: (long)Math.Min(MemoryMarshal.Read<ulong>(s[40..]), long.MaxValue),
            Device: ((ulong)MemoryMarshal.Read<uint>(s[136..]) << 32) | MemoryMarshal.Read<uint>(s[140..]),
            Inode: MemoryMarshal.Read<ulong>(s[32..]));
        return true;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return NativeLibrary.TryLoad("libc", typeof(UnixFileStatus).Assembly, DllImportSearchPath.SafeDirectories, out IntPtr lib)
                && NativeLibrary.TryGetExport(lib, "statx", out _);
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

#pragma warning disable SYSLIB1054 // DllImport, not LibraryImport: see the type's comment.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directoryFd, byte[] nulTerminatedPath, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint EffectiveUserId();
#pragma warning restore SYSLIB1054
}
