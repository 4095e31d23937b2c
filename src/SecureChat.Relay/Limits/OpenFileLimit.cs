using System.Runtime.InteropServices;

namespace SecureChat.Relay.Limits;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE): raised from the soft to the hard limit at
/// start, so the relay's caps can be derived from it. Linux only; elsewhere the limit is unknown
/// and a conservative default is used.
/// </summary>
internal static partial class OpenFileLimit
{
    /// <summary>The limit assumed where it cannot be read.</summary>
    public const int Unknown = 1024;

    private const int RlimitNoFile = 7; // Linux, every architecture .NET runs on

    /// <summary>Raises the soft limit to the hard limit where possible, and returns the soft limit in force.</summary>
    public static int RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Unknown;
        }

        if (GetRLimit(RlimitNoFile, out RLimit limit) != 0)
        {
            return Unknown;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            if (SetRLimit(RlimitNoFile, in raised) == 0)
            {
                limit = raised;
            }
        }

        return (int)Math.Min(limit.Current, int.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetRLimit(int resource, in RLimit limit);
}
