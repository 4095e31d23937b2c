using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SecureChat.Platform;

namespace SecureChat.Crypto;

/// <summary>
/// Opens a file that will receive secrets (the key log) so that nobody else can read them. A new
/// file is created exclusively (O_CREAT|O_EXCL, which also refuses a symbolic link planted at the
/// path) with mode 0600. An existing file is used only if it is a regular file, not a symbolic
/// link, owned by this user and of mode 0600: opening it otherwise would keep whatever permissions
/// it has, or write through a link into someone else's file. The checks are made on the path before
/// opening and again on the open handle (same inode), so a file swapped in between is refused too.
/// On Linux the type, owner and inode come from statx(2) (a fixed layout on every architecture);
/// elsewhere on Unix only the link and the mode are checked. Windows has no Unix modes: the file is
/// opened as it is.
/// </summary>
internal static class OwnerOnlyFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens (or creates) <paramref name="path"/> for writing, unbuffered.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file is, and how it was named, for the error message (e.g. "The key log (SECURECHAT_KEYLOGFILE)").</param>
    /// <exception cref="IOException">The file is unsafe to use (the message says what to do), or cannot be opened.</exception>
    public static FileStream OpenForWriting(string path, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 });
        }

        string full = Path.GetFullPath(path);
        for (int attempt = 0; ; attempt++)
        {
            FileFacts? before = FileFacts.OfPath(full);
            if (before is null)
            {
                try
                {
                    return new FileStream(full, new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew,
                        Access = FileAccess.Write,
                        Share = FileShare.ReadWrite,
                        BufferSize = 0,
                        UnixCreateMode = OwnerReadWrite,
                    });
                }
                catch (IOException) when (attempt == 0 && FileFacts.OfPath(full) is not null)
                {
                    continue; // Created by someone else in between: check that one.
                }
            }

            Refuse(before, full, what);
            var stream = new FileStream(full, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 });
            try
            {
                FileFacts opened = FileFacts.OfHandle(stream.SafeFileHandle, full);
                Refuse(opened, full, what);
                if (!opened.SameFileAs(before))
                {
                    throw new IOException($"{what} {full} was replaced while it was being opened: choose a path in a directory only you can write to.");
                }

                return stream;
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Refuse(FileFacts facts, string path, string what)
    {
        if (facts.IsSymbolicLink)
        {
            throw new IOException($"{what} {path} is a symbolic link; session keys are never written through one. Point it at a new file (one that does not exist yet) instead.");
        }

        if (!facts.IsRegularFile)
        {
            throw new IOException($"{what} {path} is not a regular file: point it at a new file (one that does not exist yet).");
        }

        if (facts.OwnedByAnotherUser)
        {
            throw new IOException($"{what} {path} belongs to another user: point it at a new file of your own (one that does not exist yet).");
        }

        if ((facts.Mode & ~OwnerReadWrite) != 0 || (facts.Mode & OwnerReadWrite) != OwnerReadWrite)
        {
            string octal = Convert.ToString((int)facts.Mode, 8).PadLeft(4, '0');
            throw new IOException($"{what} {path} has mode {octal}, not 0600 (readable and writable by you only): run 'chmod 600 {path}', or point it at a new file.");
        }
    }

    /// <summary>What the checks need to know about a file.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private sealed record FileFacts(bool IsSymbolicLink, bool IsRegularFile, bool OwnedByAnotherUser, UnixFileMode Mode, ulong Device, ulong Inode)
    {
        private const int Enoent = 2;

        /// <summary>The file at a path (a link itself, not what it points to); null when nothing is there.</summary>
        public static FileFacts? OfPath(string path)
        {
            if (UnixFileStatus.IsAvailable)
            {
                if (UnixFileStatus.TryOfPath(path, out UnixFileStatus status, out int errno))
                {
                    return From(status);
                }

                return errno == Enoent ? null : throw new IOException($"Cannot examine {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
            }

            // A C library without statx (glibc before 2.28), or not Linux: check what .NET can.
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                return new FileFacts(IsSymbolicLink: true, IsRegularFile: false, OwnedByAnotherUser: false, info.UnixFileMode, 0, 0);
            }

            if (!info.Exists)
            {
                return Directory.Exists(path) ? new FileFacts(false, IsRegularFile: false, false, info.UnixFileMode, 0, 0) : null;
            }

            return new FileFacts(false, IsRegularFile: true, false, info.UnixFileMode, 0, 0);
        }

        /// <summary>The file an open handle refers to.</summary>
        public static FileFacts OfHandle(SafeFileHandle handle, string path)
        {
            if (UnixFileStatus.IsAvailable)
            {
                return UnixFileStatus.TryOfHandle(handle, out UnixFileStatus status, out int errno)
                    ? From(status)
                    : throw new IOException($"Cannot examine {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
            }

            return new FileFacts(false, IsRegularFile: true, false, File.GetUnixFileMode(handle), 0, 0);
        }

        public bool SameFileAs(FileFacts other) => Device == other.Device && Inode == other.Inode;

        private static FileFacts From(UnixFileStatus status) => new(
            IsSymbolicLink: status.IsSymbolicLink,
            IsRegularFile: status.IsRegularFile,
            OwnedByAnotherUser: !status.IsOwnedByMe,
            Mode: status.Permissions,
            status.Device,
            status.Inode);
    }
}
