using System.Net.Sockets;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>Proofs that keys are gone when a session ends, on the clean path and on the error paths.</summary>
[Collection(nameof(MemoryScans))]
public class ErasureTests
{
    private static bool AllZero(byte[] array) => Array.TrueForAll(array, b => b == 0);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_close_every_key_buffer_the_sessions_owned_is_zero(bool psk)
    {
        using var pa = Passphrase.FromChars("pass");
        using var pb = Passphrase.FromChars("pass");
        var clientSecrets = new SecretRegistry();
        var serverSecrets = new SecretRegistry();
        var (client, server) = await Loopback.PairAsync(Loopback.Options(psk ? pa : null, clientSecrets), Loopback.Options(psk ? pb : null, serverSecrets));

        // The registries saw the secrets of CPace (the scalar, g, K, ISK, in mode 2 only) and of the
        // KEM (the initiator's ML-KEM secret key, ss on both sides).
        int cpace = psk ? 1 : 0;
        foreach (SecretRegistry registry in new[] { clientSecrets, serverSecrets })
        {
            Assert.Equal(cpace, registry.Labelled(SecretLabels.CPaceScalar).Count);
            Assert.Equal(cpace, registry.Labelled(SecretLabels.CPaceGenerator).Count);
            Assert.Equal(cpace, registry.Labelled(SecretLabels.CPaceK).Count);
            Assert.Equal(cpace, registry.Labelled(SecretLabels.CPaceIsk).Count);
            Assert.Single(registry.Labelled(SecretLabels.KemSharedSecret));
        }

        Assert.Single(clientSecrets.Labelled(SecretLabels.MlKemSecretKey));
        Assert.Empty(serverSecrets.Labelled(SecretLabels.MlKemSecretKey));

        // Right after the handshake only the two transport keys are live: ck, the handshake key,
        // e, the KEM secrets, the psk and every CPace intermediate are already erased.
        foreach (SecretRegistry registry in new[] { clientSecrets, serverSecrets })
        {
            IReadOnlyList<byte[]> arrays = registry.Snapshot();
            Assert.Equal(2, arrays.Count(a => !AllZero(a)));
            Assert.All(arrays.Where(a => !AllZero(a)), a => Assert.Equal(32, a.Length));
        }

        await client.SendTextAsync("one");
        await server.SendTextAsync("two");
        Assert.Equal("one", (await server.NextAsync<TextReceived>()).Text);
        Assert.Equal("two", (await client.NextAsync<TextReceived>()).Text);

        await client.CloseAsync();
        await server.NextAsync<SessionClosed>();

        Assert.True(client.KeysErased);
        Assert.True(server.KeysErased);
        if (Aes256Gcm.UsesSodium)
        {
            // The keys expanded for libsodium's AES-256-GCM are among the buffers checked below:
            // the handshake key's and both directions' transport keys', on each side.
            Assert.True(clientSecrets.Labelled(SecretLabels.Aes256GcmState).Count >= 3);
            Assert.True(serverSecrets.Labelled(SecretLabels.Aes256GcmState).Count >= 3);
        }

        Assert.All(clientSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        Assert.All(serverSecrets.Snapshot(), a => Assert.True(AllZero(a)));
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Handshake_timeout_erases_the_handshake_secrets(bool psk)
    {
        // The initiator times out waiting for msg2: it holds e, the ML-KEM secret key and, in
        // mode 2, the CPace scalar ya at that moment.
        using var passphrase = Passphrase.FromChars("timeout");
        var secrets = new SecretRegistry();
        using var listener = Loopback.Listen();
        Task<Socket> silent = listener.AcceptSocketAsync(); // accepts and never answers
        var options = new SessionOptions
        {
            Passphrase = psk ? passphrase : null,
            KeyLogFile = null,
            HandshakeTimeout = TimeSpan.FromMilliseconds(300),
            TestHooks = new SessionTestHooks { Registry = secrets },
        };
        var error = await Assert.ThrowsAsync<SessionTimeoutException>(
            () => SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), options).AsTask().WaitAsync(Loopback.Timeout));
        Assert.Contains("did not finish within", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(secrets.Snapshot());
        Assert.Single(secrets.Labelled(SecretLabels.MlKemSecretKey));
        Assert.Equal(psk ? 1 : 0, secrets.Labelled(SecretLabels.CPaceScalar).Count);
        Assert.All(secrets.Snapshot(), a => Assert.True(AllZero(a)));
        (await silent).Dispose();
    }

    [Fact]
    public async Task Every_logged_key_and_every_CPace_and_KEM_secret_is_gone_from_process_memory_after_the_chat()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string log = Path.Combine(Path.GetTempPath(), $"securechat-keylog-{Guid.NewGuid():N}.txt");
        var needles = new Needles();
        try
        {
            await RunChatAsync(log, needles.Registry());
            GC.Collect();
            GC.WaitForPendingFinalizers();

            List<ProcessMemory.MaskedKey> keys = ProcessMemory.ReadKeyLog(log);
            Assert.True(keys.Count >= 30, $"the key log holds {keys.Count} keys");
            Assert.Contains(keys, k => k.Label == "PSK");
            Assert.Contains(keys, k => k.Label == "TRANSPORT_KEY_I2R");

            // Secrets that are not in the key log, taken (masked) from each buffer just before it
            // was wiped: both sides' CPace scalars (ya, yb), g, K and the ISK, the initiator's
            // ML-KEM-768 secret key and both sides' KEM shared secret.
            List<ProcessMemory.MaskedKey> secrets = needles.Taken();
            Assert.Equal(2, secrets.Count(k => k.Label == SecretLabels.CPaceScalar));
            Assert.Equal(2, secrets.Count(k => k.Label == SecretLabels.CPaceGenerator));
            Assert.Equal(2, secrets.Count(k => k.Label == SecretLabels.CPaceK));
            Assert.Equal(4, secrets.Count(k => k.Label.StartsWith(SecretLabels.CPaceIsk, StringComparison.Ordinal)));
            Assert.Equal(2, secrets.Count(k => k.Label == SecretLabels.KemSharedSecret));
            Assert.Equal(3, secrets.Count(k => k.Label.StartsWith(SecretLabels.MlKemSecretKey, StringComparison.Ordinal)));

            List<string> found = ProcessMemory.FindKeys([.. keys, .. secrets]);
            Assert.True(found.Count == 0, "keys still in memory: " + string.Join(", ", found));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void Memory_scan_finds_a_labelled_secret_while_a_copy_of_it_is_alive()
    {
        // The control for the needles taken at erasure: a copy that outlives the buffer must be
        // found, and no longer once that copy is wiped too.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var needles = new Needles();
        byte[] copy = GC.AllocateArray<byte>(32, pinned: true);
        using (var secret = new SecretBuffer(32, needles.Registry(), SecretLabels.CPaceK))
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(secret.Span);
            secret.Span.CopyTo(copy);
        }

        List<ProcessMemory.MaskedKey> taken = needles.Taken();
        Assert.Single(taken);
        Assert.Equal([SecretLabels.CPaceK], ProcessMemory.FindKeys(taken));
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(copy);
        Assert.Empty(ProcessMemory.FindKeys(taken));
    }

    [Fact]
    public void Memory_scan_finds_a_key_held_only_in_its_expanded_AES_state_until_that_state_is_wiped()
    {
        // The expanded key (libsodium's crypto_aead_aes256gcm_state) begins with round keys 0 and 1,
        // which are the key itself: a state left unwiped would be found by the scan above through
        // the key log's needles. Here the key's own buffer is wiped first, so the state is the
        // only place that still holds it.
        if (!OperatingSystem.IsLinux() || !Sodium.IsAes256GcmAvailable)
        {
            return;
        }

        foreach (bool dispose in new[] { false, true })
        {
            var state = new Aes256GcmState();
            ProcessMemory.MaskedKey needle;
            using (var key = new SecretBuffer(32))
            {
                System.Security.Cryptography.RandomNumberGenerator.Fill(key.Span);
                needle = ProcessMemory.Needle("EXPANDED", key.Span);
                state.Expand(key.Span);
            }

            Assert.Equal(["EXPANDED"], ProcessMemory.FindKeys([needle]));
            if (dispose)
            {
                state.Dispose();
            }
            else
            {
                state.Clear();
            }

            Assert.Empty(ProcessMemory.FindKeys([needle]));
            state.Dispose();
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
            // No PING while the scan runs (it can take longer than the 15 s default interval on a
            // loaded machine): each PING and its answer would rekey a direction mid-scan.
            TimeSpan quiet = TimeSpan.FromMinutes(10);
            var (client, server) = await Loopback.PairAsync(
                new SessionOptions { KeyLogFile = log, PingInterval = quiet, IdleTimeout = quiet },
                new SessionOptions { KeyLogFile = null, PingInterval = quiet, IdleTimeout = quiet });
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

    private static async Task RunChatAsync(string log, SecretRegistry registry)
    {
        using var pa = Passphrase.FromChars("memory scan");
        using var pb = Passphrase.FromChars("memory scan");
        var clientOptions = new SessionOptions { Passphrase = pa, KeyLogFile = log, TestHooks = new SessionTestHooks { Registry = registry } };
        var serverOptions = new SessionOptions { Passphrase = pb, KeyLogFile = log, TestHooks = new SessionTestHooks { Registry = registry } };
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

    /// <summary>
    /// Masked needles of the labelled secrets, taken through <see cref="SecretRegistry.Erasing"/> just
    /// before each buffer is wiped; the raw bytes are never copied. A 32-byte secret gives one needle,
    /// the 64-byte ISK two; the 2,400-byte ML-KEM secret key (dk_PKE ‖ ek ‖ H(ek) ‖ z, FIPS 203) gives
    /// two from dk_PKE and one of z, never from ek or H(ek), which are public.
    /// </summary>
    private sealed class Needles
    {
        private readonly List<ProcessMemory.MaskedKey> _taken = [];
        private readonly Lock _lock = new();

        public SecretRegistry Registry() => new() { Erasing = Take };

        public List<ProcessMemory.MaskedKey> Taken()
        {
            lock (_lock)
            {
                return [.. _taken];
            }
        }

        private void Take(string label, ReadOnlySpan<byte> bytes)
        {
            if (!bytes.ContainsAnyExcept((byte)0))
            {
                return; // Never filled, or already wiped.
            }

            var needles = new List<ProcessMemory.MaskedKey>();
            if (label == SecretLabels.MlKemSecretKey)
            {
                needles.Add(ProcessMemory.Needle(label + "[0]", bytes[..32]));
                needles.Add(ProcessMemory.Needle(label + "[576]", bytes.Slice(576, 32)));
                needles.Add(ProcessMemory.Needle(label + "[z]", bytes[^32..]));
            }
            else
            {
                for (int i = 0; i + 32 <= bytes.Length; i += 32)
                {
                    needles.Add(ProcessMemory.Needle(i == 0 && bytes.Length == 32 ? label : $"{label}[{i}]", bytes.Slice(i, 32)));
                }
            }

            lock (_lock)
            {
                _taken.AddRange(needles);
            }
        }
    }
}

/// <summary>Memory scans run alone, so no other test's live keys are in memory at the time.</summary>
[CollectionDefinition(nameof(MemoryScans), DisableParallelization = true)]
public sealed class MemoryScans;
