using System.CommandLine;
using SecureChat.Cli;
using SecureChat.Cli.Commands;

Console.OutputEncoding = System.Text.Encoding.UTF8;
Console.InputEncoding = System.Text.Encoding.UTF8;

var root = new RootCommand(
    "securechat: end-to-end encrypted, authenticated chat for two people (Noise XX over P-256, AES-256-GCM).\n" +
    "Start 'securechat listen' on one machine, then 'securechat connect HOST' on the other.");
root.Add(ListenCommand.Create());
root.Add(ConnectCommand.Create());
root.Add(IdCommand.Create());
root.Add(PeersCommand.Create());
root.Add(BenchCommand.Create());
root.Add(RelayCommand.Create());

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"securechat: {error.Message}");
    }

    Console.Error.WriteLine("Run 'securechat --help', or 'securechat COMMAND --help', for usage.");
    return ExitCodes.Usage;
}

try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (UsageException e)
{
    Console.Error.WriteLine($"securechat: {e.Message}");
    return ExitCodes.Usage;
}
