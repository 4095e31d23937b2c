using System.Globalization;
using System.Net;
using SecureChat.Cli.Output;
using SecureChat.Relay;

namespace SecureChat.Cli.Commands;

/// <summary>
/// The scale-out and monitoring options of <c>securechat relay</c> (docs/RELAY.md, "Several relay
/// nodes", "Metrics"): <c>--redis HOST:PORT --advertise HOST:PORT</c> (both or neither),
/// <c>--redis-password-file PATH</c> (or SECURECHAT_REDIS_PASSWORD; never a password on the command
/// line, where every user of the machine can read it), <c>--metrics ADDR:PORT</c>.
/// </summary>
internal static class RelayScaleOut
{
    /// <summary>The environment variable that may hold Redis's password.</summary>
    public const string PasswordVariable = "SECURECHAT_REDIS_PASSWORD";

    /// <summary>Adds the Redis and metrics settings to <paramref name="options"/>.</summary>
    /// <exception cref="UsageException">Only one of --redis and --advertise, an address that does not parse, an unreadable password file.</exception>
    public static RelayOptions Apply(RelayOptions options, string? redis, string? advertise, string? passwordFile, string? metrics, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (metrics is not null)
        {
            if (!IPEndPoint.TryParse(metrics, out IPEndPoint? endPoint) || endPoint.Port == 0 || !metrics.Contains(':', StringComparison.Ordinal))
            {
                throw new UsageException($"--metrics {TerminalText.Sanitize(metrics)} is not ADDR:PORT (for example 127.0.0.1:9474 or [::]:9474).");
            }

            options = options with { MetricsEndPoint = endPoint };
        }

        if (redis is null && advertise is null)
        {
            return passwordFile is null ? options : throw new UsageException("--redis-password-file needs --redis.");
        }

        if (redis is null || advertise is null)
        {
            throw new UsageException("--redis and --advertise go together: give both (Redis's HOST:PORT, and this node's HOST:PORT as clients reach it) or neither.");
        }

        return options with
        {
            Redis = new RedisRelayOptions
            {
                EndPoint = HostPort(redis, "--redis"),
                Advertise = HostPort(advertise, "--advertise"),
                Password = Password(passwordFile, environment),
            },
        };
    }

    /// <summary>Checks HOST:PORT (a name, an IPv4 address, or an IPv6 address in brackets, and a port 1–65535).</summary>
    private static string HostPort(string text, string option)
    {
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : string.Empty;
        bool hostOk = host.Length > 0 && !host.Contains('|', StringComparison.Ordinal) && !host.Any(char.IsWhiteSpace)
            && (host.StartsWith('[') ? host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out _) : !host.Contains(':', StringComparison.Ordinal));
        if (!hostOk || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new UsageException($"{option} {TerminalText.Sanitize(text)} is not HOST:PORT (for example redis.internal:6379, 10.0.0.5:4747 or [2001:db8::5]:4747).");
        }

        return text;
    }

    private static string? Password(string? file, Func<string, string?> environment)
    {
        if (file is null)
        {
            return environment(PasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        }

        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--redis-password-file {TerminalText.Sanitize(file)} cannot be read: {e.Message}");
        }
    }
}
