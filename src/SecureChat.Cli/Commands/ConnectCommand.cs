using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>securechat connect [HOST] [--port N]: the seed's client, done properly.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var options = new CommonOptions();
        var host = new Argument<string?>("HOST")
        {
            Description = "The server: a name, an IPv4 address, host:port, or IPv6 such as [::1]:5555. Asked for when omitted",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var code = new CodeOptions(listen: false);
        var command = new Command("connect", "Connect to a listening peer (or, with --relay, join one with its code) and chat");
        command.Add(host);
        options.AddTo(command);
        code.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(result, options, code, result.GetValue(host), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CommonOptions options, CodeOptions codeOptions, string? hostText, CancellationToken cancellationToken)
    {
        IChatOutput output = OutputFactory.Create(result.GetValue(options.Json));
        ChatSettings settings;
        PeerAddress? address = null;
        Rendezvous.Code? code = null;
        try
        {
            settings = options.Read(result);
            if (codeOptions.Read(result, settings) is { } codeSettings)
            {
                settings = settings with { Ephemeral = settings.Ephemeral || !codeSettings.KeepIdentity, Code = codeSettings };
                if (codeSettings.Relay is not null && hostText is not null)
                {
                    throw new UsageException("With --relay, give no HOST: the relay brings you to the peer. The code is asked for (or read from SECURECHAT_CODE or --code-file), never taken from the command line.");
                }
            }

            if (settings.Code?.Relay is null)
            {
                address = ResolveAddress(hostText, settings);
            }

            if (settings.Code is { } wanted)
            {
                code = CodeSource.Obtain(wanted.CodeFile, withNameplate: wanted.Relay is not null, stdinIsTerminal: !Console.IsInputRedirected);
            }
        }
        catch (UsageException e)
        {
            output.Error(Fault.BadInput(e.Message));
            return ExitCodes.Usage;
        }

        if (SessionSetup.TryPrepare(settings, output, out int failed) is not { } setup)
        {
            code?.Dispose();
            return failed;
        }

        if (code is not null)
        {
            setup.UseCode(code);
            using (setup)
            using (var codeStop = new StopSignal(cancellationToken))
            {
                return await CodeJoiner.RunAsync(setup, settings.Code!.Relay, address, output, codeStop.Token).ConfigureAwait(false);
            }
        }

        using (setup)
        using (var stop = new StopSignal(cancellationToken))
        {
            return await ChatAsync(setup, address!, output, stop.Token).ConfigureAwait(false);
        }
    }

    private static PeerAddress ResolveAddress(string? hostText, ChatSettings settings)
    {
        if (hostText is null)
        {
            Console.Error.Write("Server address: ");
            hostText = Console.ReadLine();
            if (string.IsNullOrWhiteSpace(hostText))
            {
                throw new UsageException("No server address given: run 'securechat connect HOST' (for example 10.0.0.80 or [::1]:5555).");
            }
        }

        if (!PeerAddress.TryParse(hostText, settings.Port, out PeerAddress? address, out string? error))
        {
            throw new UsageException($"Bad server address: {error}.");
        }

        if (settings.PortGiven && address!.Port != settings.Port)
        {
            throw new UsageException($"The address names port {address.Port} but --port says {settings.Port}: give the port once.");
        }

        return address!;
    }

    private static async Task<int> ChatAsync(SessionSetup setup, PeerAddress address, IChatOutput output, CancellationToken stop)
    {
        // Trust on first use, per host:port, decided by the handshake before this side's identity is sent.
        var policy = new KnownPeersPolicy(setup.Store.KnownPeersPath, address, remember: !setup.Settings.Ephemeral);
        string peer = address.Key;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, stop).ConfigureAwait(false);
            peer = socket.RemoteEndPoint is IPEndPoint remote ? Format(remote) : peer;
            output.Connected(peer, authenticating: setup.Settings.Compat is null);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            output.Error(e is OperationCanceledException ? Fault.Stopped("Cancelled.") : Fault.From(e, address.Key, duringHandshake: true, initiator: true));
            return ExitCodes.Connection;
        }

        PeerVerdict Verify(PeerInfo presented)
        {
            PeerVerdict verdict = policy.Verify(presented);
            if (verdict.Rejection == PeerRejection.KeyMismatch)
            {
                output.Warning(KeyChangedWarning(address, policy.Check!.Remembered!, presented.Fingerprint, setup.Store.KnownPeersPath));
            }

            return verdict;
        }

        (IChatSession? started, Fault? fault) = await setup.TryStartAsync(new NetworkStream(socket, ownsSocket: true), initiator: true, output, peer, stop, Verify).ConfigureAwait(false);
        if (started is null)
        {
            return fault!.ExitCode;
        }

        if (started is not IAuthenticatedSession session)
        {
            using IChatInput compatInput = SessionSetup.CreateInput(setup.Settings.Json, output);
            return (await new Conversation(started, compatInput, output, peer).RunAsync(stop).ConfigureAwait(false)).ExitCode;
        }

        // Remembered only now: the handshake finished (and, with a passphrase, the server confirmed it).
        bool remembered = policy.Commit(session);
        if (session.PeerTrust == PeerTrust.Unverified)
        {
            output.Warning($"The server at {address.Key} used one-time identities before, and now presents a persistent key that has never been verified. Someone may be impersonating it. Compare the session code with the server's owner (by voice or another channel you trust) before you send anything.");
        }
        else if (session.PeerTrust == PeerTrust.OlderVersionUnconfirmed)
        {
            output.Warning(OlderVersionWarning(address, policy.Check!.Remembered!, session.PeerFingerprint));
        }
        else if (policy.Check!.Status == PeerStatus.Upgradable)
        {
            output.Info(remembered
                ? $"The server at {address.Key} proved that it still holds the key an older version remembered for it ({policy.Check.Remembered}); its new key {session.PeerFingerprint} is remembered in its place."
                : $"The server at {address.Key} proved that it still holds the key an older version remembered for it ({policy.Check.Remembered}).");
        }

        output.Handshake(session, remembered);
        using IChatInput input = SessionSetup.CreateInput(setup.Settings.Json, output);
        ConversationEnd end = await new Conversation(session, input, output, peer, setup.Settings).RunAsync(stop).ConfigureAwait(false);
        return end.ExitCode;
    }

    private static string KeyChangedWarning(PeerAddress address, string remembered, string presented, string knownPeersPath) =>
        $"""
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        @    WARNING: THE SERVER'S IDENTITY KEY HAS CHANGED!      @
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        The server at {address.Key} presented a different key than the one remembered:
          remembered: {remembered}
          presented:  {presented}
        Someone may be intercepting this conversation (a man-in-the-middle attack), or the server's
        owner created a new identity. Nothing was sent.
        To check: ask the server's owner, by phone or in person, to run 'securechat id' and read you
        the fingerprint. Only if it matches the presented key, forget the old one with
          securechat peers forget {address.Key}
        (it is stored in {knownPeersPath}) and connect again.
        """;

    /// <summary>The warning for a server whose only pin is a v1 key it did not prove it holds; it contains <see cref="HumanOutput.OlderVersionUnconfirmed"/>.</summary>
    internal static string OlderVersionWarning(PeerAddress address, string remembered, string presented) =>
        $"The key remembered for {address.Key} ({remembered}) was {HumanOutput.OlderVersionUnconfirmed} with the server's owner (by voice or another channel you trust) before you send anything. "
        + $"The server presents a new key ({presented}) and did not prove that it still holds the old one, so nothing was remembered. "
        + $"If the codes match, run 'securechat peers forget {address.Key}' and connect again to remember the new key (and compare the code once more then).";

    internal static string Format(IPEndPoint endPoint)
    {
        IPAddress ip = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{endPoint.Port}" : $"{ip}:{endPoint.Port}";
    }
}
