using System.CommandLine;
using SecureChat.Cli.Output;
using SecureChat.Identity;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>securechat id: shows this user's fingerprint, creating the identity on first use.</summary>
internal static class IdCommand
{
    public static Command Create()
    {
        var home = CommonOptions.HomeOption();
        var json = CommonOptions.JsonOption();
        var command = new Command("id", "Show your identity fingerprint (creating your identity on first use)");
        command.Add(home);
        command.Add(json);
        command.SetAction(result =>
        {
            bool asJson = result.GetValue(json);
            IChatOutput output = OutputFactory.Create(asJson);
            var store = new IdentityStore(result.GetValue(home)?.FullName);
            IdentityKeyPair identity;
            try
            {
                identity = SessionSetup.LoadIdentity(store, output);
            }
            catch (SetupException e)
            {
                output.Error(Fault.Io(e.Message));
                return ExitCodes.Other;
            }

            using (identity)
            {
                if (asJson)
                {
                    Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { @event = "identity", fingerprint = identity.Fingerprint, key_type = identity.KeyType }));
                }
                else
                {
                    Console.Out.WriteLine($"Your identity: {identity.Fingerprint} ({identity.KeyType})");
                    Console.Out.WriteLine($"  (private key in {store.IdentityPath}; give the fingerprint, never the key, to people who want to check it's you)");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
