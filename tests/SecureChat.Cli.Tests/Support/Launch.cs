using System.Globalization;
using System.Text.Json;

namespace SecureChat.Cli.Tests.Support;

/// <summary>Starts listeners and connectors the way a user would, on 127.0.0.1 with a free port.</summary>
internal static class Launch
{
    public static async Task<(CliProcess Listener, int Port)> ListenAsync(string home, IDictionary<string, string>? environment = null, params string[] extra)
    {
        CliProcess listener = CliProcess.Start(home, environment, ["listen", "--json", "--bind", "127.0.0.1", "--port", "0", .. extra]);
        JsonElement listening = await listener.EventAsync("listening");
        return (listener, listening.GetProperty("port").GetInt32());
    }

    public static CliProcess Connect(string home, int port, IDictionary<string, string>? environment = null, params string[] extra) =>
        CliProcess.Start(home, environment, ["connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--json", .. extra]);
}
