using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>securechat listen: options and the listening socket; <see cref="ListenServer"/> serves one conversation (or, with --keep-open, one after another).</summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var options = new CommonOptions();
        var bind = new Option<string?>("--bind") { Description = "The local address to listen on (default: all interfaces, IPv4 and IPv6)", HelpName = "ADDR" };
        var keepOpen = new Option<bool>("--keep-open") { Description = "Serve one peer after another until Ctrl+C" };
        var authorized = new Option<FileInfo?>("--authorized-peers") { Description = "Only chat with peers whose fingerprint is listed in this file ('fingerprint [comment]' per line)", HelpName = "FILE" };
        var code = new CodeOptions(listen: true);
        var command = new Command("listen", "Wait for a peer to connect (or, with --relay, for a peer with the code), then chat");
        options.AddTo(command);
        code.AddTo(command);
        command.Add(bind);
        command.Add(keepOpen);
        command.Add(authorized);
        command.SetAction((result, cancellationToken) => RunAsync(
            result, options, code, result.GetValue(bind), result.GetValue(keepOpen), result.GetValue(authorized)?.FullName, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CommonOptions options, CodeOptions codeOptions, string? bindText, bool keepOpen, string? authorizedPath, CancellationToken cancellationToken)
    {
        IChatOutput output = OutputFactory.Create(result.GetValue(options.Json));
        ChatSettings settings;
        IPAddress bind = IPAddress.IPv6Any;
        AuthorizedPeers? authorized = null;
        try
        {
            settings = options.Read(result);
            if (codeOptions.Read(result, settings) is { } code)
            {
                if (keepOpen)
                {
                    throw new UsageException("--keep-open cannot be used with a code: a code works once. Start again for the next peer.");
                }

                if (code.Relay is not null && (bindText is not null || settings.PortGiven || authorizedPath is not null))
                {
                    throw new UsageException("--bind, --port and --authorized-peers are for a direct listener; with --relay this side connects out to the relay.");
                }

                settings = settings with { Ephemeral = settings.Ephemeral || !code.KeepIdentity, Code = code };
            }

            if (bindText is not null && !IPAddress.TryParse(bindText.Trim('[', ']'), out bind!))
            {
                throw new UsageException($"--bind {bindText} is not an IP address of this machine (for example 127.0.0.1 or ::1).");
            }

            if (authorizedPath is not null)
            {
                if (settings.Compat is not null)
                {
                    throw new UsageException("--authorized-peers cannot be used with --compat: the seed protocols cannot authenticate anyone.");
                }

                authorized = LoadAuthorized(authorizedPath);
            }
        }
        catch (UsageException e)
        {
            output.Error(Fault.BadInput(e.Message));
            return ExitCodes.Usage;
        }

        if (settings.Code?.Relay is { } relay)
        {
            if (SessionSetup.TryPrepare(settings, output, out int notPrepared) is not { } relaySetup)
            {
                return notPrepared;
            }

            using (relaySetup)
            using (var relayStop = new StopSignal(cancellationToken))
            {
                return await RelayWaiter.RunAsync(relaySetup, relay, output, relayStop.Token).ConfigureAwait(false);
            }
        }

        using var listener = new TcpListener(bind, settings.Port);
        try
        {
            if (bind.Equals(IPAddress.IPv6Any))
            {
                listener.Server.DualMode = true;
            }

            listener.Start();
        }
        catch (SocketException e)
        {
            output.Error(BindFault(e, bind, settings.Port));
            return ExitCodes.Other;
        }

        if (SessionSetup.TryPrepare(settings, output, out int failed) is not { } setup)
        {
            return failed;
        }

        using (setup)
        using (var stop = new StopSignal(cancellationToken))
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string shown = bind.Equals(IPAddress.IPv6Any) ? "0.0.0.0" : bind.ToString();
            List<string> reachable = bind.Equals(IPAddress.IPv6Any) ? ReachableAddresses() : [];
            if (settings.Code is { } code)
            {
                setup.UseCode(Rendezvous.Code.Generate(null, code.Words));
                string host = reachable.FirstOrDefault(a => a is not "127.0.0.1" and not "[::1]") ?? reachable.FirstOrDefault() ?? (bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind.ToString());
                string portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                output.ListeningWithCode(new CodeListening(null, null, shown, port, reachable, setup.Code!.ToDisplayString(), $"securechat connect {host}:{portText} --code", null));
            }
            else
            {
                output.Listening(shown, port, reachable);
            }

            var server = new ListenServer(listener, setup, authorized, authorizedPath, output, keepOpen);
            return await server.RunAsync(stop.Token).ConfigureAwait(false);
        }
    }

    private static AuthorizedPeers LoadAuthorized(string path)
    {
        try
        {
            return AuthorizedPeers.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            string advice = e is InvalidDataException ? " A fingerprint is what 'securechat id' prints on the peer's machine." : "";
            throw new UsageException($"Cannot use --authorized-peers: {e.Message}{advice}");
        }
    }

    private static Fault BindFault(SocketException e, IPAddress bind, int port) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => Fault.Io($"Port {port} is already in use: another program (perhaps another securechat) is listening there. Stop it, or choose another port with --port N."),
        SocketError.AccessDenied => Fault.Io($"Not allowed to listen on port {port}: ports below 1024 need privileges. Choose a port above 1024 with --port N."),
        SocketError.AddressNotAvailable => Fault.Io($"{bind} is not an address of this machine: check --bind."),
        _ => Fault.Io($"Cannot listen on {bind} port {port}: {e.Message}."),
    };

    private static List<string> ReachableAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
                .OrderBy(a => IPAddress.IsLoopback(a))
                .ThenBy(a => a.AddressFamily)
                .Select(a => a.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString())
                .Distinct()];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
