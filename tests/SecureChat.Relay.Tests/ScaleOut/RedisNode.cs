using System.Globalization;
using System.Net;
using SecureChat.Relay.Nameplates.Redis;
using SecureChat.Relay.Tests.Support;

namespace SecureChat.Relay.Tests.ScaleOut;

/// <summary>Starts a relay node on one <see cref="TestRedis"/>, with short leases so expiry can be watched; loopback is exempt from the per-address limits unless <c>configure</c> says otherwise.</summary>
internal static class RedisNode
{
    public static TestRelay Start(TestRedis redis, int? port = null, string? advertise = null, TimeSpan? lease = null, IPEndPoint? metrics = null, TimeSpan? quarantine = null, TimeSpan? refresh = null, Func<RelayOptions, RelayOptions>? configure = null)
    {
        int p = port ?? TestRedis.FreePort();
        var options = new RedisRelayOptions
        {
            EndPoint = redis.EndPoint,
            Advertise = advertise ?? string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{p}"),
            Lease = lease ?? TimeSpan.FromSeconds(30),
            Refresh = refresh ?? TimeSpan.FromMilliseconds(250),
            Sweep = TimeSpan.FromMilliseconds(500),
        };
        return TestRelay.Start(o =>
        {
            RelayOptions node = o with
            {
                EndPoint = new IPEndPoint(IPAddress.Loopback, p),
                Exempt = [new IPNetwork(IPAddress.Parse("127.0.0.0"), 8)],
                Redis = options,
                MetricsEndPoint = metrics,
                Limits = o.Limits with { NameplateQuarantine = quarantine ?? o.Limits.NameplateQuarantine },
            };
            return configure?.Invoke(node) ?? node;
        });
    }

    public static RedisNameplateRegistry Registry(TestRelay relay) => (RedisNameplateRegistry)relay.Server.Context.Registry;

    public static string Advertise(TestRelay relay) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{relay.Server.LocalEndPoint.Port}");
}
