using System.Text.Json.Nodes;
using SecureChat.Cli.Chat;
using SecureChat.Compat;
using SecureChat.Cli.Output;
using SecureChat.Cli.Terminal;
using SecureChat.Identity;
using SecureChat.Rendezvous;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>What listen and connect prepare alike: identity, passphrase, session options, input.</summary>
internal sealed class SessionSetup : IDisposable
{
    private SessionSetup(ChatSettings settings, IdentityStore store, IdentityKeyPair? identity, Passphrase? passphrase, System.Security.Cryptography.ECDsa? version1Key)
    {
        Settings = settings;
        Store = store;
        Identity = identity;
        Passphrase = passphrase;
        Version1Key = version1Key;
    }

    public ChatSettings Settings { get; }

    public IdentityStore Store { get; }

    /// <summary>Null with --ephemeral: each session then makes and erases its own.</summary>
    public IdentityKeyPair? Identity { get; }

    public Passphrase? Passphrase { get; }

    /// <summary>The code in code mode (--relay or --code), once it is known: the PSK and, for a relay, the CPace channel.</summary>
    public Code? Code { get; private set; }

    /// <summary>Sets the code (owned by this setup from now on).</summary>
    public void UseCode(Code code)
    {
        Code?.Dispose();
        Code = code;
    }

    /// <summary>The peer verdict in code mode: completing the handshake proved knowledge of the code (no pins).</summary>
    public static PeerVerdict CodeVerdict(PeerInfo peer) => PeerVerdict.Accept(PeerTrust.Code);

    /// <summary>The v1 identity (identity.p256.key) while it exists: it vouches for the new key to peers that pinned it.</summary>
    public System.Security.Cryptography.ECDsa? Version1Key { get; }

    /// <summary>Prepares, or reports why it cannot (null, with the exit code to use).</summary>
    public static SessionSetup? TryPrepare(ChatSettings settings, IChatOutput output, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        try
        {
            return Prepare(settings, output);
        }
        catch (UsageException e)
        {
            output.Error(Fault.BadInput(e.Message));
            exitCode = ExitCodes.Usage;
        }
        catch (SetupException e)
        {
            output.Error(Fault.Io(e.Message));
            exitCode = ExitCodes.Other;
        }

        return null;
    }

    /// <exception cref="UsageException">No passphrase source.</exception>
    /// <exception cref="SetupException">The identity cannot be used.</exception>
    private static SessionSetup Prepare(ChatSettings settings, IChatOutput output)
    {
        var store = new IdentityStore(settings.Home);
        IdentityKeyPair? identity = null;
        if (settings.Compat is not null)
        {
            output.Warning(CompatModes.Warning(settings.Compat));
        }
        else if (!settings.Ephemeral)
        {
            identity = LoadIdentity(store, output);
        }

        if (settings.Compat is null)
        {
            WarnIfKeyLogOn();
        }

        try
        {
            bool seedAes = settings.Compat == CompatModes.SeedAes;
            Passphrase? passphrase = settings.Psk ? PassphraseSource.Obtain(settings.PassphraseFile, !Console.IsInputRedirected, seedAes) : null;
            if (seedAes && PassphraseSource.SameAsPskEnvironment(passphrase!))
            {
                output.Warning($"The seed-aes passphrase is the same as {PassphraseSource.EnvironmentVariable}. Anyone who records a seed-aes chat can test guesses of its passphrase offline, so this one is exposed for --psk too: use a different passphrase for each.");
            }

            System.Security.Cryptography.ECDsa? version1Key = identity is null ? null : LoadVersion1Key(store, output);
            return new SessionSetup(settings, store, identity, passphrase, version1Key);
        }
        catch
        {
            identity?.Dispose();
            throw;
        }
    }

    public static IdentityKeyPair LoadIdentity(IdentityStore store, IChatOutput output)
    {
        try
        {
            if (store.MoveV1IdentityAside())
            {
                output.Info(store.V1MovedNotice);
            }

            IdentityKeyPair identity = store.LoadOrCreate(out bool created);
            if (created)
            {
                output.Info($"Created your identity {identity.Fingerprint} in {store.IdentityPath}.");
            }

            if (store.IdentityIsExposed())
            {
                output.Warning($"{store.IdentityPath} can be read by other users: run 'chmod 600 {store.IdentityPath}'.");
            }

            return identity;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new SetupException($"Cannot use the identity in {store.Home}: {e.Message} Fix or move the file, or use --ephemeral for a one-time identity.");
        }
    }

    /// <summary>The v1 key for the cross-signature, or null (none, or unreadable: then peers see an unconfirmed key, which is said).</summary>
    private static System.Security.Cryptography.ECDsa? LoadVersion1Key(IdentityStore store, IChatOutput output)
    {
        try
        {
            return store.LoadV1Key();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            output.Warning($"Cannot use your old v1 identity to vouch for the new one ({e.Message}): peers that pinned it will see your key as not confirmed.");
            return null;
        }
    }

    /// <summary>
    /// The library writes the keys where <see cref="Session.SessionOptions.KeyLogFile"/> says (by default the
    /// environment variable) without a word: telling the user is the front end's job, once, on stderr.
    /// </summary>
    private static void WarnIfKeyLogOn()
    {
        string? path = Environment.GetEnvironmentVariable(Session.SessionOptions.KeyLogFileVariable);
        if (!string.IsNullOrEmpty(path))
        {
            Console.Error.WriteLine($"securechat: WARNING: {Session.SessionOptions.KeyLogFileVariable} is set: session keys are being written to {path}. Use this only for debugging.");
        }
    }

    /// <summary>
    /// Starts the conversation's protocol, or reports why it failed (error and closed events) and
    /// returns the fault. Cancellation (Ctrl+C during the handshake) is a fault with exit code 5.
    /// </summary>
    public async Task<(IChatSession? Session, Fault? Fault)> TryStartAsync(Stream stream, bool initiator, IChatOutput output, string peer, CancellationToken cancellationToken, PeerVerificationCallback? verifyPeer = null)
    {
        Fault fault;
        try
        {
            return (await StartAsync(stream, initiator, output, verifyPeer, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is SecureChatException or IOException or OperationCanceledException)
        {
            fault = e is OperationCanceledException
                ? Fault.Stopped("Stopped during the handshake.")
                : Fault.From(e, peer, duringHandshake: true, initiator, Settings.Compat, code: Code is not null);
        }
        catch (SetupException e)
        {
            output.Error(Fault.Io(e.Message));
            return (null, Fault.Io(e.Message));
        }

        output.Error(fault);
        output.NeverStarted(keysErased: true);
        return (null, fault);
    }

    /// <summary>Starts the conversation's protocol over a connected stream: the default handshake, or a seed program's.</summary>
    /// <param name="stream">The connection, owned by the session from here on.</param>
    /// <param name="initiator">True for the connecting side.</param>
    /// <param name="output">Where the compatibility modes announce themselves.</param>
    /// <param name="verifyPeer">The trust policy the handshake applies (the SecureChat protocol only).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    private async Task<IChatSession> StartAsync(Stream stream, bool initiator, IChatOutput output, PeerVerificationCallback? verifyPeer, CancellationToken cancellationToken)
    {
        switch (Settings.Compat)
        {
            case CompatModes.SeedRsa:
                if (!OperatingSystem.IsLinux())
                {
                    throw new SetupException("--compat seed-rsa needs OpenSSL's PSS with the maximum salt length, available here only on Linux.");
                }

                SeedRsaSession rsa = await SeedRsaSession.StartAsync(stream, initiator, Settings.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
                output.CompatStarted(CompatModes.SeedRsa, rsa.PeerKeyFingerprint);
                return rsa;
            case CompatModes.SeedAes:
                output.CompatStarted(CompatModes.SeedAes, null);
                return SeedAesSession.Start(stream, Passphrase!, initiator);
            default:
                return initiator
                    ? await SecureChatSession.ConnectAsync(stream, SessionOptions(verifyPeer), cancellationToken).ConfigureAwait(false)
                    : await SecureChatSession.AcceptAsync(stream, SessionOptions(verifyPeer), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <param name="verifyPeer">The trust policy, decided inside the handshake (<see cref="SessionOptions.VerifyPeer"/>).</param>
    public SessionOptions SessionOptions(PeerVerificationCallback? verifyPeer = null) => new()
    {
        VerifyPeer = verifyPeer ?? (Code is null ? null : CodeVerdict),
        Identity = Identity,
        Passphrase = Code?.Passphrase ?? Passphrase,
        PakeChannel = Code?.PakeChannel,
        Version1Key = Version1Key,
        HandshakeTimeout = Settings.HandshakeTimeout,
        IdleTimeout = Settings.IdleTimeout,
        PingInterval = Settings.IdleTimeout / 3,
        CaptureCiphertext = Settings.ShowCiphertext,
        HandshakePayload = Payload(Settings.Ephemeral),
        MaxIncomingFileSize = Settings.MaxFileSize,
    };

    /// <summary>The handshake payload: software, and whether this identity is a one-time one.</summary>
    public static JsonObject Payload(bool ephemeral)
    {
        var payload = new JsonObject { ["software"] = "securechat/" + typeof(SessionSetup).Assembly.GetName().Version?.ToString(3) };
        if (ephemeral)
        {
            payload["ephemeral"] = true;
        }

        return payload;
    }

    /// <summary>The input for a conversation: the line editor on a terminal, lines from stdin otherwise.</summary>
    public static IChatInput CreateInput(bool json, IChatOutput output)
    {
        if (OutputFactory.Interactive(json))
        {
            var terminal = new TerminalInput();
            output.LineSink = terminal.WriteAbove;
            output.StatusSink = terminal.SetStatus;
            return terminal;
        }

        return new StreamInput(Console.In);
    }

    public void Dispose()
    {
        Identity?.Dispose();
        Passphrase?.Dispose();
        Code?.Dispose();
        Version1Key?.Dispose();
    }
}

/// <summary>The identity or a trust file cannot be used: exit code 1 with a message saying what to do.</summary>
internal sealed class SetupException(string message) : Exception(message);
