namespace SecureChat.Relay.Tests.Support;

/// <summary>Waits for a condition on the relay's state (polling, with a guard against hanging; nothing is timed).</summary>
internal static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, string what) => HoldsAsync(condition, what, static () => string.Empty);

    /// <summary>As <see cref="HoldsAsync(Func{bool}, string)"/>; <paramref name="state"/> describes what was seen last, for the failure message.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, Func<string> state)
    {
        using var guard = new CancellationTokenSource(TestClient.Guard);
        while (!condition())
        {
            if (guard.IsCancellationRequested)
            {
                Assert.Fail($"Never happened: {what}. {state()}");
            }

            await Task.Delay(10);
        }
    }
}
