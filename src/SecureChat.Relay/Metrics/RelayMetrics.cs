using Prometheus;
using SecureChat.Relay.Hosting;
using SecureChat.Relay.Nameplates;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Metrics;

/// <summary>
/// The relay's Prometheus series (docs/RELAY.md, "Metrics"), in a registry of its own (not the
/// process-wide default, so two relays in one process do not share counters). Labels are closed
/// sets only — a claim's result, an error code, a direction — never a nameplate or an address.
/// Gauges are read from the relay's state when scraped; bytes are counted as they are sent.
/// </summary>
internal sealed class RelayMetrics
{
    private readonly Counter _claims;
    private readonly Counter _refusals;
    private readonly Counter.Child _toWaiter;
    private readonly Counter.Child _toJoiner;
    private readonly Histogram _claimSeconds;

    public RelayMetrics(RelayContext context)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Gauge waiting = factory.CreateGauge("securechat_relay_waiting", "Nameplates waiting on this node.");
        Gauge pairs = factory.CreateGauge("securechat_relay_pairs", "Pairs forwarding on this node.");
        Gauge? redisUp = context.Registry is IRegistryHealth
            ? factory.CreateGauge("securechat_relay_redis_up", "1 while Redis is connected, else 0.")
            : null;
        _claims = factory.CreateCounter("securechat_relay_claims_total", "Claims by result: paired, redirect, unknown-nameplate, busy, rate-limited.", new CounterConfiguration { LabelNames = ["result"] });
        _refusals = factory.CreateCounter("securechat_relay_refusals_total", "Error frames sent, by code.", new CounterConfiguration { LabelNames = ["code"] });
        Counter bytes = factory.CreateCounter("securechat_relay_forwarded_bytes_total", "Bytes forwarded, by direction (to_waiter, to_joiner), counted as they are sent.", new CounterConfiguration { LabelNames = ["direction"] });
        _claimSeconds = factory.CreateHistogram(
            "securechat_relay_claim_duration_seconds",
            "From a claim's first frame to its answer (paired, redirect or error).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        // Every label value known up front is exported from the start, at 0, so rates work from the first scrape.
        foreach (string result in (string[])["paired", "redirect", RelayErrorCodes.UnknownNameplate, RelayErrorCodes.Busy, RelayErrorCodes.RateLimited])
        {
            _claims.WithLabels(result);
        }

        foreach (string code in RelayErrorCodes.All)
        {
            _refusals.WithLabels(code);
        }

        _toWaiter = bytes.WithLabels("to_waiter");
        _toJoiner = bytes.WithLabels("to_joiner");
        Registry.AddBeforeCollectCallback(() =>
        {
            waiting.Set(context.Registry.Waiting);
            pairs.Set(context.Pairs);
            redisUp?.Set(((IRegistryHealth)context.Registry).IsUp ? 1 : 0);
        });
    }

    /// <summary>The series, for the HTTP endpoint.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>A claim was answered.</summary>
    public void Claimed(string result, TimeSpan elapsed)
    {
        _claims.WithLabels(result).Inc();
        _claimSeconds.Observe(elapsed.TotalSeconds);
    }

    /// <summary>An error frame was sent.</summary>
    public void Refused(string code) => _refusals.WithLabels(code).Inc();

    /// <summary>Bytes just sent from the joiner to the waiter.</summary>
    public void ForwardedToWaiter(long bytes) => _toWaiter.Inc(bytes);

    /// <summary>Bytes just sent from the waiter to the joiner.</summary>
    public void ForwardedToJoiner(long bytes) => _toJoiner.Inc(bytes);
}
