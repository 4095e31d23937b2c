using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>securechat listen: the seed's server — waits, serves one conversation (or, with --keep-open, one after another).</summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var options = new CommonOptions();
        var bind = new Option<string?>("--bind") { Description = "The local address to listen on (default: all interfaces, IPv4 and IPv6)", HelpName = "ADDR" };
        var keepOpen = new Option<bool>("--keep-open") { Description = "Serve one peer after another until Ctrl+C" };
        var authorized = new Option<FileInfo?>("--authorized-peers") { Description = "Only chat with peers whose fingerprint is listed in this file ('fingerprint [comment]' per line)", HelpName = "FILE" };
        var command = new Command("listen", "Wait for a peer to connect, then chat");
        options.AddTo(command);
        command.Add(bind);
        command.Add(keepOpen);
        command.Add(authorized);
        command.SetAction((result, cancellationToken) => RunAsync(
            result, options, result.GetValue(bind), result.GetValue(keepOpen), result.GetValue(authorized)?.FullName, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CommonOptions options, string? bindText, bool keepOpen, string? authorizedPath, CancellationToken cancellationToken)
    {
        IChatOutput output = OutputFactory.Create(result.GetValue(options.Json));
        ChatSettings settings;
        IPAddress bind = IPAddress.IPv6Any;
        AuthorizedPeers? authorized = null;
        try
        {
            settings = options.Read(result);
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
            output.Listening(bind.Equals(IPAddress.IPv6Any) ? "0.0.0.0" : bind.ToString(), port, bind.Equals(IPAddress.IPv6Any) ? ReachableAddresses() : []);
            var server = new Server(listener, setup, authorized, authorizedPath, output, keepOpen);
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
            throw new UsageException($"Cannot use --authorized-peers: {e.Message}");
        }
    }

    private static Fault BindFault(SocketException e, IPAddress bind, int port) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => new("io", ExitCodes.Other, $"Port {port} is already in use: another program (perhaps another securechat) is listening there. Stop it, or choose another port with --port N."),
        SocketError.AccessDenied => new("io", ExitCodes.Other, $"Not allowed to listen on port {port}: ports below 1024 need privileges. Choose a port above 1024 with --port N."),
        SocketError.AddressNotAvailable => new("io", ExitCodes.Other, $"{bind} is not an address of this machine: check --bind."),
        _ => new("io", ExitCodes.Other, $"Cannot listen on {bind} port {port}: {e.Message}."),
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

    /// <summary>The accept loop: one conversation at a time, everyone else refused as busy.</summary>
    private sealed class Server(TcpListener listener, SessionSetup setup, AuthorizedPeers? authorized, string? authorizedPath, IChatOutput output, bool keepOpen)
    {
        public async Task<int> RunAsync(CancellationToken stop)
        {
            // One input for the whole run: the terminal's line editor, or stdin's lines.
            using IChatInput input = SessionSetup.CreateInput(setup.Settings.Json, output);
            try
            {
                while (true)
                {
                    Socket? socket = await WaitForPeerAsync(input, stop).ConfigureAwait(false);
                    if (socket is null)
                    {
                        return ExitCodes.Ok;
                    }

                    using var busy = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    Task refusing = RefuseOthersAsync(busy.Token);
                    (int exitCode, bool stopRequested) = await ServeAsync(socket, input, stop).ConfigureAwait(false);
                    await busy.CancelAsync().ConfigureAwait(false);
                    await refusing.ConfigureAwait(false);
                    if (!keepOpen)
                    {
                        return exitCode;
                    }

                    if (stopRequested || stop.IsCancellationRequested)
                    {
                        return ExitCodes.Ok;
                    }

                    output.Info("Waiting for the next peer… (Ctrl+C to stop)");
                }
            }
            finally
            {
                output.LineSink = null;
                output.StatusSink = null;
            }
        }

        /// <summary>
        /// Accepts the next peer. Meanwhile the user's input is read too: a typed line is not sent
        /// to anyone (there is nobody yet), and Ctrl+C, Ctrl+D or the end of stdin stop the listener.
        /// Null when stopped.
        /// </summary>
        private async Task<Socket?> WaitForPeerAsync(IChatInput input, CancellationToken stop)
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task<Socket> accept = listener.AcceptSocketAsync(waiting.Token).AsTask();
            Task idle = ReadWhileIdleAsync(input, waiting.Token);
            Task first = await Task.WhenAny(accept, idle).ConfigureAwait(false);
            await waiting.CancelAsync().ConfigureAwait(false);
            try
            {
                await idle.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped because a peer came.
            }

            try
            {
                Socket socket = await accept.ConfigureAwait(false);
                if (first == idle)
                {
                    socket.Dispose(); // the user stopped at the same moment
                    return null;
                }

                return socket;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        private async Task ReadWhileIdleAsync(IChatInput input, CancellationToken cancellationToken)
        {
            while (true)
            {
                InputLine line = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (line.Kind == InputKind.End)
                {
                    output.Info("Input ended (Ctrl+D, or the end of stdin) before a peer connected: stopped listening. To listen with nothing to type, keep stdin open (for example: sleep infinity | securechat listen).");
                    return;
                }

                if (line.Kind != InputKind.Line)
                {
                    return;
                }

                if (line.Text.Trim().Length > 0)
                {
                    output.Warning("no peer is connected yet: that line was not sent.");
                }
            }
        }

        private async Task RefuseOthersAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    Socket other = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                    if (setup.Settings.Compat is not null)
                    {
                        // The seed protocols have no way to say "busy": hang up, as the originals do.
                        other.Dispose();
                        continue;
                    }

                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await SecureChatSession.RefuseAsync(new NetworkStream(other, ownsSocket: true), RefusalCode.Busy, "busy: this peer is in another conversation", CancellationToken.None).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                        {
                            // It left already.
                        }
                    }, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The conversation is over; the main loop accepts again.
            }
        }

        private async Task<(int ExitCode, bool StopRequested)> ServeAsync(Socket socket, IChatInput input, CancellationToken stop)
        {
            socket.NoDelay = true;
            string peer = socket.RemoteEndPoint is IPEndPoint remote ? ConnectCommand.Format(remote) : "the peer";
            output.Connected(peer, authenticating: setup.Settings.Compat is null);
            (IChatSession? started, Fault? fault) = await setup.TryStartAsync(new NetworkStream(socket, ownsSocket: true), initiator: false, output, peer, stop).ConfigureAwait(false);
            if (started is null)
            {
                return (fault!.ExitCode, stop.IsCancellationRequested || fault.ExitCode == ExitCodes.Other); // a setup failure repeats for every peer
            }

            if (started is not SecureChatSession session)
            {
                var compat = new Conversation(started, input, output, peer);
                ConversationEnd compatEnd = await compat.RunAsync(stop).ConfigureAwait(false);
                return (compatEnd.ExitCode, compat.StopRequested);
            }

            if (authorized is not null && !authorized.IsAuthorized(session.PeerFingerprint))
            {
                await session.CloseAsync(CloseReasons.NotAuthorized + ": your fingerprint is not in this server's authorized peers", CancellationToken.None).ConfigureAwait(false);
                output.Error(new Fault("auth-failed", ExitCodes.Authentication,
                    $"Refused {peer}: its fingerprint {session.PeerFingerprint} is not in {authorizedPath}. To let it in, add that line to the file (after checking it with its owner)."));
                output.NeverStarted(session.KeysErased);
                return (ExitCodes.Authentication, false);
            }

            PeerTrust trust = authorized is not null ? PeerTrust.Known
                : SessionSetup.PeerIsEphemeral(session) ? PeerTrust.Ephemeral
                : PeerTrust.New;
            output.Handshake(session, trust, remembered: false);

            var conversation = new Conversation(session, input, output, peer, setup.Settings);
            ConversationEnd end = await conversation.RunAsync(stop).ConfigureAwait(false);
            return (end.ExitCode, conversation.StopRequested);
        }
    }
}
