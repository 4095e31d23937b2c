using System.Diagnostics;
using System.Globalization;

namespace SecureChat.Cli.Bench;

/// <summary>
/// The process's memory as the bench counts it for idle sessions: resident private memory, the pages
/// this process has touched and holds alone (managed heap, native allocations such as OpenSSL and
/// libsodium state and the socket engine's, thread stacks as far as they are used). On Linux this is
/// RssAnon; <see cref="Process.PrivateMemorySize64"/> there is VmData, which also counts address space
/// mapped writable but never touched (each new thread's stack reservation of 1.5 MiB or more, memory
/// the GC has committed ahead of use), so it moved with the runtime's threads, not with the sessions.
/// </summary>
internal static class ProcessMemory
{
    public static long ResidentPrivateBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                // "RssAnon:     12345 kB"
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PrivateMemorySize64;
    }
}
