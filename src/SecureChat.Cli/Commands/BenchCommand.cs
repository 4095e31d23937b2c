using System.CommandLine;
using SecureChat.Cli.Bench;

namespace SecureChat.Cli.Commands;

/// <summary>securechat bench: measures handshakes, round trips, message rate, bulk and memory over loopback, next to raw-TCP baselines.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds")
        {
            Description = "Seconds per measurement (default 2)",
            DefaultValueFactory = _ => 2,
            HelpName = "N",
        };
        var sessions = new Option<int>("--sessions")
        {
            Description = "Idle sessions opened to measure memory per session (default 1000)",
            DefaultValueFactory = _ => 1000,
            HelpName = "N",
        };
        var json = CommonOptions.JsonOption();
        var command = new Command("bench", "Measure this machine: handshakes, round trips, messages per second, bulk throughput (a file transfer) and memory per session, over loopback with real sockets, each next to raw TCP with the same frames in the same run");
        command.Add(seconds);
        command.Add(sessions);
        command.Add(json);
        command.SetAction(async (result, cancellationToken) =>
        {
            double phase = result.GetValue(seconds);
            int idle = result.GetValue(sessions);
            if (!(phase > 0 && phase <= 600) || idle is < 2 or > 20_000)
            {
                Console.Error.WriteLine("securechat: --seconds must be above 0 (at most 600) and --sessions from 2 to 20000.");
                return ExitCodes.Usage;
            }

            bool asJson = result.GetValue(json);
            using var runner = new BenchRunner(TimeSpan.FromSeconds(phase), idle, step => Console.Error.WriteLine("bench: " + step));
            BenchResult measured = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
            if (asJson)
            {
                Console.Out.WriteLine(measured.ToJson());
            }
            else
            {
                foreach (string line in measured.Table())
                {
                    Console.Out.WriteLine(line);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
