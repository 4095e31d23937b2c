namespace SecureChat.Relay.Tests.Support;

/// <summary>Waits for a condition on the relay's state (polling, with a guard against hanging; nothing is timed).</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(TestClient.Guard);
        while (!condition())
        {
            if (guard.IsCancellationRequested)
            {
                Assert.Fail($"Never happened: {what}.");
            }

            await Task.Delay(10);
        }
    }
}
