using System.Runtime.InteropServices;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// <see cref="IConsoleDriver"/> over <see cref="Console"/>. While it is alive, Ctrl+C is read as a key
/// (<see cref="Console.TreatControlCAsInput"/>) instead of killing the process; on Windows, VT100
/// processing is switched on for the output and the output code page is UTF-8. <see cref="Dispose"/>
/// puts all of that back: dispose it after the <see cref="LineEditor"/> that uses it, on every exit path.
/// </summary>
internal sealed class SystemConsoleDriver : IConsoleDriver, IDisposable
{
    private readonly TextWriter _output;
    private readonly bool? _previousTreatControlCAsInput;
    private readonly Encoding? _previousOutputEncoding;
    private readonly uint? _previousWindowsOutputMode;
    private readonly PosixSignalRegistration? _resizeRegistration;
    private bool _disposed;

    public SystemConsoleDriver()
    {
        if (OperatingSystem.IsWindows())
        {
            _previousWindowsOutputMode = WindowsConsole.EnableVirtualTerminalOutput();
            try
            {
                _previousOutputEncoding = Console.OutputEncoding;
                Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
            }
            catch (IOException)
            {
                _previousOutputEncoding = null; // no console: nothing to restore
            }
        }
        else
        {
            try
            {
                _resizeRegistration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => Resized?.Invoke(this, EventArgs.Empty));
            }
            catch (PlatformNotSupportedException)
            {
                _resizeRegistration = null;
            }
        }

        try
        {
            _previousTreatControlCAsInput = Console.TreatControlCAsInput;
            Console.TreatControlCAsInput = true;
        }
        catch (IOException)
        {
            _previousTreatControlCAsInput = null; // stdin is not a console
        }

        // Console.Out is synchronized and flushes after every write.
        _output = Console.Out;
    }

    public event EventHandler? Resized;

    public int Width
    {
        get
        {
            try
            {
                return Console.WindowWidth;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    public bool KeyAvailable
    {
        get
        {
            try
            {
                return Console.KeyAvailable;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                return false;
            }
        }
    }

    public ConsoleKeyInfo ReadKey() => Console.ReadKey(intercept: true);

    public void Write(string text)
    {
        _output.Write(text);
        _output.Flush();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _resizeRegistration?.Dispose();
        if (_previousTreatControlCAsInput is bool treatControlC)
        {
            try
            {
                Console.TreatControlCAsInput = treatControlC;
            }
            catch (IOException)
            {
                // The console went away; nothing left to restore.
            }
        }

        if (OperatingSystem.IsWindows())
        {
            if (_previousOutputEncoding is not null)
            {
                try
                {
                    Console.OutputEncoding = _previousOutputEncoding;
                }
                catch (IOException)
                {
                    // As above.
                }
            }

            if (_previousWindowsOutputMode is uint mode)
            {
                WindowsConsole.RestoreOutputMode(mode);
            }
        }
    }

    /// <summary>The Win32 calls .NET does not expose: switching on VT100 processing for the console output.</summary>
    private static class WindowsConsole
    {
        private const int StdOutputHandle = -11;
        private const uint EnableVirtualTerminalProcessing = 0x0004;

        /// <summary>Returns the previous mode to restore, or null if the output is not a console or the mode was already on.</summary>
        public static uint? EnableVirtualTerminalOutput()
        {
            nint handle = GetStdHandle(StdOutputHandle);
            if (handle == 0 || handle == -1 || !GetConsoleMode(handle, out uint mode))
            {
                return null;
            }

            if ((mode & EnableVirtualTerminalProcessing) != 0)
            {
                return null;
            }

            return SetConsoleMode(handle, mode | EnableVirtualTerminalProcessing) ? mode : null;
        }

        public static void RestoreOutputMode(uint mode)
        {
            nint handle = GetStdHandle(StdOutputHandle);
            if (handle != 0 && handle != -1)
            {
                _ = SetConsoleMode(handle, mode);
            }
        }

        [DllImport("kernel32.dll", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        private static extern nint GetStdHandle(int standardHandle);

        [DllImport("kernel32.dll", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool GetConsoleMode(nint consoleHandle, out uint mode);

        [DllImport("kernel32.dll", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool SetConsoleMode(nint consoleHandle, uint mode);
    }
}
