using System.Net.Sockets;
using SecureChat.Crypto;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>Proofs that keys are gone when a session ends, on the clean path and on the error paths.</summary>
[Collection(nameof(MemoryScans))]
public class ErasureTests
{
    private static bool AllZero(byte[] array) => Array.TrueForAll(array, b => b == 0);

    [Fact]
    public async Task After_close_every_key_buffer_the_sessions_owned_is_zero()
    {
        using var pa = Passphrase.FromChars("pass");
        using var pb = Passphrase.FromChars("pass");
        var clientSecrets = new SecretRegistry();
        var serverSecrets = new SecretRegistry();
        var (client, server) = await Loopback.PairAsync(Loopback.Options(pa, clientSecrets), Loopback.Options(pb, serverSecrets));

        // Right after the handshake only the two transport keys are live: ck, the handshake key
        // and the psk are already erased.
        foreach (SecretRegistry registry in new[] { clientSecrets, serverSecrets })
        {
            IReadOnlyList<byte[]> arrays = registry.Snapshot();
            Assert.Equal(5, arrays.Count); // ck, handshake k, psk, two transport keys
            Assert.Equal(2, arrays.Count(a => !AllZero(a)));
        }

        await client.SendTextAsync("one");
        await server.SendTextAsync("two");
        Assert.Equal("one", (await server.NextAsync<TextReceived>()).Text);
        Assert.Equal("two", (await client.NextAsync<TextReceived>()).Text);

        await client.CloseAsync();
        await server.NextAsync<SessionClosed>();

        Assert.True(client.KeysErased);
        Assert.True(server.KeysErased);
        Assert.All(clientSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        Assert.All(serverSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Handshake_timeout_erases_the_handshake_secrets()
    {
        var secrets = new SecretRegistry();
        using var listener = Loopback.Listen();
        Task<Socket> silent = listener.AcceptSocketAsync(); // accepts and never answers
        var options = new SessionOptions
        {
            KeyLogFile = null,
            HandshakeTimeout = TimeSpan.FromMilliseconds(300),
            TestHooks = new SessionTestHooks { Registry = secrets },
        };
        var error = await Assert.ThrowsAsync<SessionTimeoutException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), options).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Contains("did not finish within", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(secrets.Snapshot());
        Assert.All(secrets.Snapshot(), a => Assert.True(AllZero(a)));
        (await silent).Dispose();
    }

    [Fact]
    public async Task Every_logged_key_is_gone_from_process_memory_after_the_chat()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string log = Path.Combine(Path.GetTempPath(), $"securechat-keylog-{Guid.NewGuid():N}.txt");
        try
        {
            await RunChatAsync(log);
            GC.Collect();
            GC.WaitForPendingFinalizers();

            List<ProcessMemory.MaskedKey> keys = ProcessMemory.ReadKeyLog(log);
            Assert.True(keys.Count >= 30, $"the key log holds {keys.Count} keys");
            Assert.Contains(keys, k => k.Label == "PSK");
            Assert.Contains(keys, k => k.Label == "TRANSPORT_KEY_I2R");

            List<string> found = ProcessMemory.FindKeys(keys);
            Assert.True(found.Count == 0, "keys still in memory: " + string.Join(", ", found));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Memory_scan_finds_a_key_that_is_still_alive()
    {
        // The control for the test above: while a session is open, its current transport key
        // must be found, or the scan proves nothing.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string log = Path.Combine(Path.GetTempPath(), $"securechat-keylog-{Guid.NewGuid():N}.txt");
        try
        {
            var (client, server) = await Loopback.PairAsync(new SessionOptions { KeyLogFile = log }, new SessionOptions { KeyLogFile = null });
            await using (client)
            await using (server)
            {
                await client.SendTextAsync("hi");
                await server.NextAsync<TextReceived>();
                List<ProcessMemory.MaskedKey> keys = ProcessMemory.ReadKeyLog(log);
                List<string> found = ProcessMemory.FindKeys(keys);
                Assert.Contains("TRANSPORT_KEY_I2R", found);
                Assert.Contains("TRANSPORT_KEY_R2I", found);
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static async Task RunChatAsync(string log)
    {
        using var pa = Passphrase.FromChars("memory scan");
        using var pb = Passphrase.FromChars("memory scan");
        var clientOptions = new SessionOptions { Passphrase = pa, KeyLogFile = log };
        var serverOptions = new SessionOptions { Passphrase = pb, KeyLogFile = log };
        var (client, server) = await Loopback.PairAsync(clientOptions, serverOptions);
        for (int i = 0; i < 5; i++)
        {
            await client.SendTextAsync($"to server {i}");
            await server.SendTextAsync($"to client {i}");
            await server.NextAsync<TextReceived>();
            await client.NextAsync<TextReceived>();
        }

        await client.CloseAsync();
        await server.NextAsync<SessionClosed>();
        await server.DisposeAsync();
    }
}

/// <summary>Memory scans run alone, so no other test's live keys are in memory at the time.</summary>
[CollectionDefinition(nameof(MemoryScans), DisableParallelization = true)]
public sealed class MemoryScans;
