using System.CommandLine;
using SecureChat.Rendezvous;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>
/// The options of code mode (issue 13): --relay [HOST[:PORT]] (default SECURECHAT_RELAY), --code,
/// --keep-identity, and --code-words N (listen) or --code-file PATH (connect). The code itself is
/// never an option: it is typed at a prompt, or read from SECURECHAT_CODE or --code-file.
/// </summary>
internal sealed class CodeOptions(bool listen)
{
    public const string RelayVariable = "SECURECHAT_RELAY";

    public Option<string?> Relay { get; } = new("--relay")
    {
        Description = listen
            ? "Wait through a relay at HOST[:PORT] (default port 4747; without a value: $SECURECHAT_RELAY) and print a short code for the peer"
            : "Join through a relay at HOST[:PORT] (default port 4747; without a value: $SECURECHAT_RELAY) with the code the listener printed",
        HelpName = "HOST[:PORT]",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<bool> Code { get; } = new("--code")
    {
        Description = listen
            ? "Without a relay: print a words-only code; the peer runs 'securechat connect HOST --code' and types it"
            : "Without a relay: ask for the words-only code the listener printed",
    };

    public Option<int?> CodeWords { get; } = new("--code-words") { Description = $"Words in the code ({Rendezvous.Code.MinWords}-{Rendezvous.Code.MaxWords}, default {Rendezvous.Code.DefaultWords}: one in 65,536)", HelpName = "N" };

    public Option<FileInfo?> CodeFile { get; } = new("--code-file") { Description = $"Read the code from this file (first line); else {CodeSource.EnvironmentVariable}, or it is asked for", HelpName = "PATH" };

    public Option<bool> KeepIdentity { get; } = new("--keep-identity") { Description = "In code mode, use your identity instead of a one-time one (a fixed key lets a relay link your sessions)" };

    public void AddTo(Command command)
    {
        command.Add(Relay);
        command.Add(Code);
        command.Add(KeepIdentity);
        command.Add(listen ? CodeWords : CodeFile);
    }

    /// <summary>The code settings, or null when neither --relay nor --code was given.</summary>
    /// <exception cref="UsageException">A bad combination or relay address.</exception>
    public CodeSettings? Read(ParseResult result, ChatSettings settings)
    {
        bool relayGiven = result.GetResult(Relay) is not null;
        bool code = result.GetValue(Code);
        bool keep = result.GetValue(KeepIdentity);
        int? words = listen ? result.GetValue(CodeWords) : null;
        string? file = listen ? null : result.GetValue(CodeFile)?.FullName;
        if (!relayGiven && !code)
        {
            if (keep || words is not null || file is not null)
            {
                throw new UsageException("--keep-identity, --code-words and --code-file need code mode: add --relay HOST or --code.");
            }

            return null;
        }

        if (settings.Psk || settings.Compat is not null)
        {
            throw new UsageException("A code is a passphrase of its own: drop --psk and --compat in code mode (--relay or --code).");
        }

        if (keep && settings.Ephemeral)
        {
            throw new UsageException("--keep-identity and --ephemeral contradict each other: choose one.");
        }

        if (words is { } n && n is < Rendezvous.Code.MinWords or > Rendezvous.Code.MaxWords)
        {
            throw new UsageException($"--code-words must be {Rendezvous.Code.MinWords} to {Rendezvous.Code.MaxWords}.");
        }

        PeerAddress? relay = null;
        if (relayGiven)
        {
            string? text = result.GetValue(Relay) ?? Environment.GetEnvironmentVariable(RelayVariable);
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new UsageException($"--relay needs HOST[:PORT], or {RelayVariable} set to one.");
            }

            if (!PeerAddress.TryParse(text, RelayClient.DefaultPort, out relay, out string? error) || relay!.Port is < 1 or > 65535)
            {
                throw new UsageException($"Bad relay address: {error ?? "the port must be 1-65535"}.");
            }
        }

        return new CodeSettings(relay, words ?? Rendezvous.Code.DefaultWords, file, keep);
    }
}

/// <summary>Code mode: a relay (or none, for a direct words-only code), the words in a new code, where a joiner's code comes from, and whether to keep the identity.</summary>
internal sealed record CodeSettings(PeerAddress? Relay, int Words, string? CodeFile, bool KeepIdentity);
