using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SecureChat.Cli.Output;
using SecureChat.Relay;

namespace SecureChat.Cli.Commands;

/// <summary>
/// securechat relay: runs one relay node (docs/RELAY.md). Events go to stdout, one line each (a JSON
/// object with --json), without client addresses unless --log-addresses. The first SIGTERM or
/// Ctrl+C refuses new allocations and serves this node's waiters and pairs for up to 30 s; a second
/// one stops at once.
/// </summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "TCP port", HelpName = "N", DefaultValueFactory = _ => RelayOptions.DefaultPort };
        var bind = new Option<string?>("--bind") { Description = "The local address to listen on (default: all interfaces, IPv4 and IPv6)", HelpName = "ADDR" };
        var maxWaiting = new Option<int>("--max-waiting") { Description = "The most nameplates waiting at once (also capped by the open-file limit)", HelpName = "N", DefaultValueFactory = _ => 10_000 };
        var maxPairs = new Option<int>("--max-pairs") { Description = "The most pairs at once (also capped by the open-file limit)", HelpName = "N", DefaultValueFactory = _ => 10_000 };
        var waitTimeout = new Option<int>("--wait-timeout") { Description = "Seconds a nameplate waits for its peer", HelpName = "SECONDS", DefaultValueFactory = _ => 600 };
        var exempt = new Option<string[]>("--exempt") { Description = "Clients in this network (CIDR, such as 10.0.0.0/8) skip the per-address limits; repeatable", HelpName = "CIDR" };
        var maxPairBytes = new Option<string?>("--max-pair-bytes") { Description = "Close a pair after it forwarded SIZE bytes, both ways together (bytes, or with K, M, G, T; default: no cap)", HelpName = "SIZE" };
        var maxPairRate = new Option<string?>("--max-pair-rate") { Description = "Forward at most SIZE bytes per second in each direction of a pair (default: no cap)", HelpName = "SIZE" };
        var logAddresses = new Option<bool>("--log-addresses") { Description = "Show client addresses in the events (off by default: the relay logs no addresses)" };
        var redis = new Option<string?>("--redis") { Description = "Share nameplates with other relay nodes through this Redis (needs --advertise)", HelpName = "HOST:PORT" };
        var advertise = new Option<string?>("--advertise") { Description = "This node's address as clients reach it, sent to them in redirects (with --redis)", HelpName = "HOST:PORT" };
        var redisPasswordFile = new Option<string?>("--redis-password-file") { Description = "Read Redis's password from this file (or set SECURECHAT_REDIS_PASSWORD; never on the command line)", HelpName = "PATH" };
        var metrics = new Option<string?>("--metrics") { Description = "Serve /metrics (Prometheus), /healthz and /readyz over HTTP here", HelpName = "ADDR:PORT" };
        var json = CommonOptions.JsonOption();
        var command = new Command("relay", "Run a relay: people who cannot reach each other directly meet here under a short code");
        foreach (Option option in (Option[])[port, bind, maxWaiting, maxPairs, waitTimeout, exempt, maxPairBytes, maxPairRate, logAddresses, redis, advertise, redisPasswordFile, metrics, json])
        {
            command.Add(option);
        }

        command.SetAction((result, cancellationToken) =>
        {
            RelayOptions options;
            try
            {
                options = ReadOptions(result.GetValue(port), result.GetValue(bind), result.GetValue(maxWaiting), result.GetValue(maxPairs), result.GetValue(waitTimeout), result.GetValue(exempt) ?? [], result.GetValue(logAddresses));
                options = options with
                {
                    Limits = options.Limits with
                    {
                        MaxBytesPerPair = Size(result.GetValue(maxPairBytes), "--max-pair-bytes"),
                        MaxBytesPerSecond = Size(result.GetValue(maxPairRate), "--max-pair-rate"),
                    },
                };
                options = RelayScaleOut.Apply(options, result.GetValue(redis), result.GetValue(advertise), result.GetValue(redisPasswordFile), result.GetValue(metrics));
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"securechat: {e.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            return RunAsync(options, new RelayEventWriter(Console.Out, result.GetValue(json)), cancellationToken);
        });
        return command;
    }

    /// <exception cref="UsageException">A value out of range, an address or network that does not parse.</exception>
    internal static RelayOptions ReadOptions(int port, string? bindText, int maxWaiting, int maxPairs, int waitTimeout, IReadOnlyList<string> exempt, bool logAddresses)
    {
        if (port is < 0 or > 65535)
        {
            throw new UsageException($"--port {port} is not a port number (0-65535).");
        }

        IPAddress bind = Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;
        if (bindText is not null && !IPAddress.TryParse(bindText.Trim('[', ']'), out bind!))
        {
            throw new UsageException($"--bind {TerminalText.Sanitize(bindText)} is not an IP address of this machine (for example 127.0.0.1 or ::1).");
        }

        if (maxWaiting < 1 || maxPairs < 1)
        {
            throw new UsageException("--max-waiting and --max-pairs must be at least 1.");
        }

        if (waitTimeout is < 1 or > 86_400)
        {
            throw new UsageException("--wait-timeout must be a number of seconds from 1 to 86400.");
        }

        var networks = new List<IPNetwork>();
        foreach (string text in exempt)
        {
            networks.Add(ParseNetwork(text));
        }

        return new RelayOptions
        {
            EndPoint = new IPEndPoint(bind, port),
            MaxWaiting = maxWaiting,
            MaxPairs = maxPairs,
            WaitTimeout = TimeSpan.FromSeconds(waitTimeout),
            Exempt = networks,
            LogAddresses = logAddresses,
        };
    }

    private static long? Size(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return ByteSize.TryParse(text, out long bytes) && bytes > 0
            ? bytes
            : throw new UsageException($"{option} {TerminalText.Sanitize(text)} is not a size: give a number of bytes above 0, or a number with K, M, G or T (powers of 1024), such as 500M.");
    }

    private static IPNetwork ParseNetwork(string text)
    {
        // IPNetwork would quietly clear host bits (10.0.0.1/8 → 10.0.0.0/8); a typo there exempts the wrong network.
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (IPNetwork.TryParse(text, out IPNetwork network) && IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? given) && given.Equals(network.BaseAddress))
        {
            // A network this wide (or every IPv4-mapped address) lifts the limits for much of the
            // internet, including the failed-claim limit that keeps codes from being guessed.
            bool v4 = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
            bool mappedAll = !v4 && network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength < 104;
            if ((v4 && network.PrefixLength < 8) || (!v4 && network.PrefixLength < 32) || mappedAll)
            {
                throw new UsageException($"--exempt {TerminalText.Sanitize(text)} is too wide: it would lift the limits for a large part of the internet. Give a network of at least /8 (IPv4) or /32 (IPv6).");
            }

            return network;
        }

        if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out IPAddress? single))
        {
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new UsageException($"--exempt {TerminalText.Sanitize(text)} is not a network: give an address and prefix length with the host bits zero, such as 10.0.0.0/8 or 2001:db8::/32.");
    }

    private static async Task<int> RunAsync(RelayOptions options, RelayEventWriter writer, CancellationToken cancellationToken)
    {
        using var firstSignal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var secondSignal = new CancellationTokenSource();
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            (Interlocked.Increment(ref signals) == 1 ? firstSignal : secondSignal).Cancel();
        }

        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        await using var server = new RelayServer(options, writer.Write);
        try
        {
            server.Start();
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"securechat: {BindError(e, options.EndPoint)}");
            return ExitCodes.Other;
        }
        catch (IOException e)
        {
            // The metrics address (--metrics) cannot be bound; the message says where.
            Console.Error.WriteLine($"securechat: {e.Message}");
            return ExitCodes.Other;
        }

        try
        {
            await Task.Delay(Timeout.Infinite, firstSignal.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl+C: drain.
        }

        await server.StopAsync(options.Limits.DrainGrace, secondSignal.Token).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static string BindError(SocketException e, IPEndPoint endPoint) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"Port {endPoint.Port} is already in use: another program (perhaps another relay) is listening there. Stop it, or choose another port with --port N.",
        SocketError.AccessDenied => $"Not allowed to listen on port {endPoint.Port}: ports below 1024 need privileges. Choose a port above 1024 with --port N.",
        SocketError.AddressNotAvailable => $"{endPoint.Address} is not an address of this machine: check --bind.",
        _ => $"Cannot listen on {endPoint.Address} port {endPoint.Port}: {e.Message}.",
    };
}
