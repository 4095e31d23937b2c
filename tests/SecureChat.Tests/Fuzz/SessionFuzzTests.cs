using System.Globalization;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;
using Xunit.Abstractions;

namespace SecureChat.Tests.Fuzz;

/// <summary>
/// Mutates one frame of a real conversation in flight — HELLO, msg1, msg3, text, file offer, file
/// data or file end from the client; msg2, READY or a transport frame from the server — in mode 1
/// and in mode 2 (CPace) alternately, and checks the sessions: they never throw anything but a
/// <see cref="SecureChatException"/>, never hang, and never deliver plaintext that was not sent.
/// Fixed seed; SECURECHAT_FUZZ_ITERATIONS runs longer (see docs/PERFORMANCE.md).
/// </summary>
public class SessionFuzzTests(ITestOutputHelper log)
{
    private static readonly string[] Texts = ["m0", "m1 héllo", "m2", "m3 " + new string('x', 3000), "m4"];
    private static readonly string[] Mutations = ["bitflip", "byte", "truncate", "extend", "empty", "duplicate", "drop", "swap", "random", "insert"];

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("SECURECHAT_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 50;

    private static SessionOptions Options(SecureChat.Identity.Passphrase? passphrase) => new()
    {
        Passphrase = passphrase,
        KeyLogFile = null,
        HandshakeTimeout = TimeSpan.FromSeconds(3),
        IdleTimeout = TimeSpan.FromSeconds(3),
        PingInterval = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task Mutated_frames_of_every_kind_are_rejected_cleanly_and_never_shown()
    {
        string directory = Directory.CreateTempSubdirectory("securechat-fuzz-").FullName;
        string file = Path.Combine(directory, "payload.bin");
        byte[] content = new byte[150_000];
        new Random(99).NextBytes(content);
        await File.WriteAllBytesAsync(file, content);
        var unexpected = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> unobserved = (_, e) =>
        {
            foreach (Exception inner in e.Exception.InnerExceptions.Where(x => x is not (SecureChatException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)))
            {
                lock (unexpected)
                {
                    unexpected.Add(inner);
                }
            }
        };
        TaskScheduler.UnobservedTaskException += unobserved;
        var outcomes = new Dictionary<string, int>();
        try
        {
            for (int i = 0; i < Iterations; i++)
            {
                var random = new Random(1234 + i);
                bool psk = i % 2 == 1;

                // One input in four mutates what the server sends: msg2, READY or its first transport frame.
                bool down = random.Next(4) == 0;
                int target = down ? random.Next(0, 3) : random.Next(0, 14);
                string mutation = Mutations[random.Next(Mutations.Length)];
                string outcome = await RunOneAsync(random, psk, down, target, mutation, file, content)
                    .WaitAsync(TimeSpan.FromSeconds(20));
                outcome = (psk ? "psk " : "xx ") + outcome;
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= unobserved;
            Directory.Delete(directory, recursive: true);
        }

        log.WriteLine($"{Iterations} inputs: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.Empty(unexpected);
        // The mutations must reach every stage: failed handshakes and failed transports both occur.
        foreach (string mode in new[] { "xx ", "psk " })
        {
            Assert.Contains(outcomes.Keys, k => k.StartsWith(mode + "handshake:", StringComparison.Ordinal));
            Assert.Contains(outcomes.Keys, k => k.StartsWith(mode + "transport:", StringComparison.Ordinal));
        }
    }

    private static IEnumerable<byte[]> Mutate(Random random, string mutation, byte[] frame, ref byte[]? held)
    {
        switch (mutation)
        {
            case "bitflip":
                frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                return [frame];
            case "byte":
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
                return [frame];
            case "truncate":
                return [frame[..random.Next(1, Math.Max(2, frame.Length))]];
            case "extend":
                byte[] longer = new byte[Math.Min(65535, frame.Length + random.Next(1, 64))];
                random.NextBytes(longer);
                frame.CopyTo(longer, 0);
                return [longer];
            case "empty":
                return [[]];
            case "duplicate":
                return [frame, frame];
            case "drop":
                return [];
            case "swap":
                held = frame;
                return [];
            case "random":
                random.NextBytes(frame);
                return [frame];
            default: // insert
                byte[] inserted = new byte[random.Next(1, 200)];
                random.NextBytes(inserted);
                return [inserted, frame];
        }
    }

    private static async Task<string> RunOneAsync(Random random, bool psk, bool down, int target, string mutation, string file, byte[] content)
    {
        using var pa = SecureChat.Identity.Passphrase.FromChars("fuzz");
        using var pb = SecureChat.Identity.Passphrase.FromChars("fuzz");
        byte[]? held = null;
        IEnumerable<byte[]> Rewrite(int index, byte[] frame)
        {
            if (index == target)
            {
                return Mutate(random, mutation, frame, ref held);
            }

            if (held is not null && index == target + 1)
            {
                byte[] swapped = held;
                held = null;
                return [frame, swapped];
            }

            return [frame];
        }

        using var listener = Loopback.Listen();
        await using var proxy = down
            ? new TamperingProxy(listener.Port(), (_, frame) => [frame], Rewrite)
            : new TamperingProxy(listener.Port(), Rewrite);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(psk ? pb : null));
        SecureChatSession? client = null;
        SecureChatSession? server = null;
        try
        {
            try
            {
                client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Options(psk ? pa : null));
                server = await accept;
            }
            catch (SecureChatException e)
            {
                // A mutated hello or handshake message: refused, by one side or both.
                await DisposeQuietly(accept);
                return "handshake:" + e.GetType().Name;
            }

            Task sending = SendScriptAsync(client, file);
            string outcome = await ReceiveAndCheckAsync(server, content);
            try
            {
                await sending;
            }
            catch (Exception e) when (e is SecureChatException or InvalidOperationException or ArgumentException)
            {
                // The session ended under the sender; expected once the receiver rejected a frame.
            }

            return outcome;
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task SendScriptAsync(SecureChatSession client, string file)
    {
        await client.SendTextAsync(Texts[0]);
        await client.SendTextAsync(Texts[1]);
        await client.SendFileAsync(file);
        await client.SendTextAsync(Texts[2]);
        await client.SendTextAsync(Texts[3]);
        await client.SendTextAsync(Texts[4]);
    }

    /// <summary>Reads what the server gets; every text must be the next one sent, and a received file must be the file.</summary>
    private static async Task<string> ReceiveAndCheckAsync(SecureChatSession server, byte[] content)
    {
        int texts = 0;
        string downloads = Directory.CreateTempSubdirectory("securechat-fuzz-in-").FullName;
        try
        {
            while (true)
            {
                SessionEvent evt;
                try
                {
                    evt = await server.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (SecureChatException e)
                {
                    Assert.True(server.KeysErased);
                    return "transport:" + e.GetType().Name;
                }

                switch (evt)
                {
                    case TextReceived text:
                        Assert.True(texts < Texts.Length, "more texts than were sent");
                        Assert.Equal(Texts[texts], text.Text);
                        texts++;
                        if (texts == Texts.Length)
                        {
                            return "intact";
                        }

                        break;
                    case FileOffered offer:
                        Assert.Equal(content.Length, offer.Size);
                        try
                        {
                            await server.AcceptFileAsync(offer.Id, downloads);
                        }
                        catch (SecureChatException e)
                        {
                            return "transport:" + e.GetType().Name; // the session failed meanwhile
                        }

                        break;
                    case FileCompleted done:
                        Assert.Equal(content, await File.ReadAllBytesAsync(done.Path));
                        break;
                    case SessionClosed:
                        return "closed";
                }
            }
        }
        finally
        {
            DeleteQuietly(downloads);
        }
    }

    /// <summary>A transfer's writer may still be closing its .part when the session has ended: clean up what can be.</summary>
    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            Thread.Sleep(100);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temporary directory.
            }
        }
    }

    private static async Task DisposeQuietly(Task<SecureChatSession> accept)
    {
        try
        {
            await (await accept.WaitAsync(TimeSpan.FromSeconds(10))).DisposeAsync();
        }
        catch (Exception e) when (e is SecureChatException or TimeoutException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // The server refused the mutated handshake too.
        }
    }
}
