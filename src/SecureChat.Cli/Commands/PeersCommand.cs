using System.CommandLine;
using SecureChat.Cli.Output;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>securechat peers [forget HOST[:PORT]]: the servers this user has connected to, and their keys.</summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var home = CommonOptions.HomeOption();
        var json = CommonOptions.JsonOption();
        var command = new Command("peers", "List the servers you have connected to and the keys (type and fingerprint) remembered for them");
        command.Add(home);
        command.Add(json);
        command.SetAction(result => List(new IdentityStore(result.GetValue(home)?.FullName), result.GetValue(json)));

        var target = new Argument<string>("HOST[:PORT]") { Description = "The server to forget (port 5555 when omitted)" };
        var forgetHome = CommonOptions.HomeOption();
        var forget = new Command("forget", "Forget a server's remembered key (after checking its new fingerprint with its owner)");
        forget.Add(target);
        forget.Add(forgetHome);
        forget.SetAction(result => Forget(new IdentityStore(result.GetValue(forgetHome)?.FullName ?? result.GetValue(home)?.FullName), result.GetValue(target)!));
        command.Add(forget);
        return command;
    }

    /// <summary>Shown instead of a fingerprint for an address that presented only one-time identities.</summary>
    private const string OneTimeOnly = "(one-time identities only: no key remembered)";

    private static int List(IdentityStore store, bool json)
    {
        var entries = KnownPeers.Load(store.KnownPeersPath).Entries;
        if (json)
        {
            foreach (KnownPeer entry in entries)
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                {
                    @event = "peer",
                    address = entry.Address,
                    key_type = entry.KeyTypeName,
                    fingerprint = entry.Fingerprint,
                    ephemeral = entry.IsEphemeral,
                }));
            }

            return ExitCodes.Ok;
        }

        if (entries.Count == 0)
        {
            Console.Out.WriteLine($"No remembered peers yet ({store.KnownPeersPath}). A server's key is remembered the first time you connect to it.");
            return ExitCodes.Ok;
        }

        if (!OutputFactory.UseColor)
        {
            // The file's own form: "address type fingerprint".
            foreach (KnownPeer entry in entries)
            {
                Console.Out.WriteLine(entry.IsEphemeral ? $"{entry.Address} {OneTimeOnly}" : $"{entry.Address} {entry.KeyTypeName} {entry.Fingerprint}");
            }

            return ExitCodes.Ok;
        }

        var rows = entries.Select(entry => new[] { TerminalText.Sanitize(entry.Address), KeyColumn(entry), entry.Fingerprint ?? OneTimeOnly }).ToList();
        TextTable.Write(Console.Out, ["Peer", "Key", "Fingerprint"], rows);
        Console.Out.WriteLine($"\u001b[90m{TerminalText.Sanitize(store.KnownPeersPath)}\u001b[0m");
        return ExitCodes.Ok;
    }

    /// <summary>The key type for people: a v1 pin says it was recorded by an older version (it is upgraded, or not trusted, on the next connection).</summary>
    private static string KeyColumn(KnownPeer entry) => entry.KeyType switch
    {
        PeerKeyType.X25519 => KnownPeers.X25519Marker,
        PeerKeyType.P256 => KnownPeers.P256Marker + " (older version)",
        _ => "-",
    };

    private static int Forget(IdentityStore store, string target)
    {
        if (!PeerAddress.TryParse(target, ChatSettings.DefaultPort, out PeerAddress? address, out string? error))
        {
            Console.Error.WriteLine($"securechat: bad address: {error}.");
            return ExitCodes.Usage;
        }

        var known = KnownPeers.Load(store.KnownPeersPath);
        if (!known.Forget(address!))
        {
            Console.Error.WriteLine($"securechat: {address!.Key} is not in {store.KnownPeersPath}; 'securechat peers' lists what is.");
            return ExitCodes.Other;
        }

        Console.Out.WriteLine($"Forgot what was remembered for {address!.Key}. The next connection will remember the key it presents.");
        return ExitCodes.Ok;
    }
}
