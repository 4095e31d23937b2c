using System.CommandLine;

namespace SecureChat.Cli.Commands;

/// <summary>The options listen and connect share; one instance per command.</summary>
internal sealed class CommonOptions
{
    public Option<int?> Port { get; } = new("--port", "-p")
    {
        Description = "TCP port (default 5555)",
        HelpName = "N",
        CustomParser = result => ParseNumber<int>(result, "--port", "a port number (0-65535)", int.TryParse),
    };

    public Option<bool> Psk { get; } = new("--psk") { Description = "Passphrase mode (Noise XXpsk3): both sides must know the same passphrase. It is read from --passphrase-file, SECURECHAT_PASSPHRASE, or the terminal without echo" };

    public Option<FileInfo?> PassphraseFile { get; } = new("--passphrase-file") { Description = "Read the --psk passphrase from this file (first line)", HelpName = "PATH" };

    public Option<FileInfo?> SeedAesPassphraseFile { get; } = new(PassphraseSource.SeedAesFileOption) { Description = "Read the --compat seed-aes passphrase from this file (first line); else SECURECHAT_SEED_AES_PASSPHRASE, or the terminal. Never reuse the --psk passphrase: a recorded seed-aes chat lets anyone guess it offline", HelpName = "PATH" };

    public Option<string?> PassphraseTrap { get; } = new("--passphrase") { Hidden = true };

    public Option<bool> Ephemeral { get; } = new("--ephemeral") { Description = "Use a fresh identity for this session only, erased at the end; write nothing to disk" };

    public Option<DirectoryInfo?> Home { get; } = HomeOption();

    public Option<bool> Json { get; } = JsonOption();

    public Option<bool> ShowCiphertext { get; } = new("--show-ciphertext") { Description = "Also show each encrypted frame in base64" };

    public Option<string?> Compat { get; } = CompatOption();

    public Option<DirectoryInfo?> DownloadDir { get; } = new("--download-dir") { Description = "Where files you /accept are saved (default: the current directory)", HelpName = "DIR" };

    public Option<DirectoryInfo?> AcceptFiles { get; } = new("--accept-files") { Description = "Accept every file the peer offers into DIR without asking (for scripts)", HelpName = "DIR" };

    public Option<long?> MaxFileSize { get; } = new("--max-file-size")
    {
        Description = "Refuse incoming files larger than SIZE: bytes, or a number with K, M, G, T (powers of 1024) such as 500M or 2G (default: what fits in the download directory's free space, keeping 64 MiB spare)",
        HelpName = "SIZE",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (ByteSize.TryParse(text, out long bytes))
            {
                return bytes;
            }

            result.AddError($"--max-file-size {TerminalTextOrEmpty(text)} is not a size: give a number of bytes, or a number with K, M, G or T (powers of 1024), such as 500M or 2G.");
            return null;
        },
    };

    public Option<double?> HandshakeTimeout { get; } = new("--handshake-timeout")
    {
        Description = "Seconds the handshake may take (default 10)",
        HelpName = "SECONDS",
        CustomParser = result => ParseNumber<double>(result, "--handshake-timeout", "a number of seconds, such as 10 or 2.5", double.TryParse),
    };

    public Option<double?> IdleTimeout { get; } = new("--idle-timeout")
    {
        Description = "Seconds of silence, or of a peer not reading, before the connection counts as lost (default 45)",
        HelpName = "SECONDS",
        CustomParser = result => ParseNumber<double>(result, "--idle-timeout", "a number of seconds, such as 45", double.TryParse),
    };

    private delegate bool TryParse<T>(string text, System.Globalization.NumberStyles styles, IFormatProvider provider, out T value);

    /// <summary>A number option's value, or a parse error that names the option and what it wants (not a .NET type name).</summary>
    private static T? ParseNumber<T>(System.CommandLine.Parsing.ArgumentResult result, string option, string wanted, TryParse<T> tryParse)
        where T : struct
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        System.Globalization.NumberStyles styles = typeof(T) == typeof(double) ? System.Globalization.NumberStyles.Float : System.Globalization.NumberStyles.Integer;
        if (tryParse(text, styles, System.Globalization.CultureInfo.InvariantCulture, out T value))
        {
            return value;
        }

        result.AddError($"{option} {TerminalTextOrEmpty(text)} is not {wanted}.");
        return null;
    }

    private static string TerminalTextOrEmpty(string text) => text.Length == 0 ? "(nothing)" : Output.TerminalText.Sanitize(text);

    public static Option<DirectoryInfo?> HomeOption() => new("--home")
    {
        Description = "Where the identity and trust files live (default: $SECURECHAT_HOME, else ~/.config/securechat)",
        HelpName = "DIR",
    };

    private static Option<string?> CompatOption()
    {
        var option = new Option<string?>("--compat")
        {
            Description = "Speak an original seed program's protocol: seed-rsa (document 000, port 12345) or seed-aes (document 002, port 5555, needs its own passphrase: SECURECHAT_SEED_AES_PASSPHRASE or --seed-aes-passphrase-file). Both are WEAK; for interoperability only",
            HelpName = "MODE",
        };
        option.AcceptOnlyFromAmong(CompatModes.SeedRsa, CompatModes.SeedAes);
        return option;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object per line (for scripts)" };

    public void AddTo(Command command)
    {
        command.Add(Port);
        command.Add(Psk);
        command.Add(PassphraseFile);
        command.Add(SeedAesPassphraseFile);
        command.Add(PassphraseTrap);
        command.Add(Ephemeral);
        command.Add(Home);
        command.Add(Json);
        command.Add(ShowCiphertext);
        command.Add(HandshakeTimeout);
        command.Add(IdleTimeout);
        command.Add(Compat);
        command.Add(DownloadDir);
        command.Add(AcceptFiles);
        command.Add(MaxFileSize);
    }

    public ChatSettings Read(ParseResult result)
    {
        if (result.GetValue(PassphraseTrap) is not null)
        {
            throw new UsageException("The passphrase is never taken from the command line (other users can read it in the process list): use --psk, and type it when asked, or set SECURECHAT_PASSPHRASE, or use --passphrase-file PATH.");
        }

        string? compat = result.GetValue(Compat);
        bool psk = result.GetValue(Psk);
        if (compat == CompatModes.SeedRsa && psk)
        {
            throw new UsageException("--compat seed-rsa has no passphrase (its keys are exchanged in the clear): drop --psk.");
        }

        int port = result.GetValue(Port) ?? (compat == CompatModes.SeedRsa ? CompatModes.SeedRsaPort : ChatSettings.DefaultPort);
        if (port is < 0 or > 65535)
        {
            throw new UsageException($"--port {port} is not a port number (0-65535).");
        }

        double timeout = result.GetValue(HandshakeTimeout) ?? 10;
        if (!(timeout > 0 && timeout <= 3600))
        {
            throw new UsageException("--handshake-timeout must be a number of seconds above 0 (and at most 3600).");
        }

        double idle = result.GetValue(IdleTimeout) ?? 45;
        if (!(idle > 0 && idle <= 86_400))
        {
            throw new UsageException("--idle-timeout must be a number of seconds above 0 (and at most 86400).");
        }

        FileInfo? passphraseFile = ReadPassphraseFile(result, psk, compat);

        string? downloadDir = ExistingDirectory(result.GetValue(DownloadDir), "--download-dir");
        string? acceptFiles = ExistingDirectory(result.GetValue(AcceptFiles), "--accept-files");
        if (compat is not null && (downloadDir ?? acceptFiles) is not null)
        {
            throw new UsageException($"--compat {compat} cannot send files (the original program has no file transfer): drop --download-dir and --accept-files.");
        }

        long? maxFileSize = result.GetValue(MaxFileSize);
        if (compat is not null && maxFileSize is not null)
        {
            throw new UsageException($"--compat {compat} cannot receive files (the original program has no file transfer): drop --max-file-size.");
        }

        return new ChatSettings(
            Port: port,
            PortGiven: result.GetValue(Port) is not null,
            Psk: psk || compat == CompatModes.SeedAes,
            Compat: compat,
            PassphraseFile: passphraseFile?.FullName,
            Ephemeral: result.GetValue(Ephemeral),
            Home: result.GetValue(Home)?.FullName,
            Json: result.GetValue(Json),
            ShowCiphertext: result.GetValue(ShowCiphertext),
            HandshakeTimeout: TimeSpan.FromSeconds(timeout))
        {
            IdleTimeout = TimeSpan.FromSeconds(idle),
            DownloadDir = downloadDir ?? Directory.GetCurrentDirectory(),
            AcceptFilesDir = acceptFiles,
            MaxFileSize = maxFileSize,
        };
    }

    /// <summary>The passphrase file for this mode: --passphrase-file for --psk, its own option for seed-aes.</summary>
    private FileInfo? ReadPassphraseFile(ParseResult result, bool psk, string? compat)
    {
        FileInfo? pskFile = result.GetValue(PassphraseFile);
        FileInfo? seedAesFile = result.GetValue(SeedAesPassphraseFile);
        if (compat == CompatModes.SeedAes)
        {
            return pskFile is null
                ? seedAesFile
                : throw new UsageException($"--compat seed-aes does not read --passphrase-file (that is the --psk passphrase, which a seed-aes chat would expose to offline guessing): use {PassphraseSource.SeedAesFileOption} PATH with a different passphrase.");
        }

        if (seedAesFile is not null)
        {
            throw new UsageException($"{PassphraseSource.SeedAesFileOption} only makes sense with --compat seed-aes; for --psk use --passphrase-file PATH.");
        }

        if (pskFile is not null && !psk)
        {
            throw new UsageException("--passphrase-file only makes sense with --psk.");
        }

        return pskFile;
    }

    private static string? ExistingDirectory(DirectoryInfo? directory, string option)
    {
        if (directory is null)
        {
            return null;
        }

        if (!directory.Exists)
        {
            throw new UsageException($"{option} {directory.FullName} is not an existing directory: create it first (mkdir -p '{directory.FullName}').");
        }

        return directory.FullName;
    }
}

/// <summary>The settings of one listen or connect run.</summary>
internal sealed record ChatSettings(
    int Port,
    bool PortGiven,
    bool Psk,
    string? Compat,
    string? PassphraseFile,
    bool Ephemeral,
    string? Home,
    bool Json,
    bool ShowCiphertext,
    TimeSpan HandshakeTimeout)
{
    public const int DefaultPort = 5555;

    /// <summary>Silence (or a peer that stopped reading) for this long loses the connection.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Where accepted files go.</summary>
    public string DownloadDir { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>When set, every offer is accepted into this directory without asking.</summary>
    public string? AcceptFilesDir { get; init; }

    /// <summary>The largest incoming file accepted (--max-file-size); null: what fits in the free space.</summary>
    public long? MaxFileSize { get; init; }

    /// <summary>Code mode (--relay or --code); null otherwise.</summary>
    public CodeSettings? Code { get; init; }
}

/// <summary>The names and default ports of the compatibility modes.</summary>
internal static class CompatModes
{
    public const string SeedRsa = "seed-rsa";
    public const string SeedAes = "seed-aes";
    public const int SeedRsaPort = 12345;

    /// <summary>The compatibility mode a session speaks (its protocol's name), or null for the SecureChat protocol, the one that authenticates.</summary>
    public static string? Of(SecureChat.Session.IChatSession session) =>
        session is SecureChat.Session.IAuthenticatedSession ? null : session.ProtocolName;

    public static string Warning(string mode) => mode == SeedRsa
        ? "--compat seed-rsa speaks the original RSA program's protocol. It does NOT protect against a man in the middle (the public keys are exchanged without any authentication), nor against replayed, reordered or dropped messages, and a message holds at most 190 bytes. Use the default mode (no --compat) whenever both sides run securechat."
        : "--compat seed-aes speaks the original AES program's protocol. It does NOT authenticate anyone (the SHA-256 \"hash\" can be recomputed by anyone), does not protect against a man in the middle who knows or guesses the passphrase, nor against replayed, reordered or dropped messages, and identical messages look identical on the wire (AES in ECB mode). Use the default mode (no --compat) whenever both sides run securechat.";
}
