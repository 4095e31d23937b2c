using System.Diagnostics;
using System.Text.Json;

namespace SecureChat.Tests.Interop;

/// <summary>
/// The independent Python v2 peer (Interop/v2_peer.py) checks its own Noise core against the cacophony
/// vectors (XX, XXpsk3 over 25519) and the two hybrid vectors, and its CPace against the draft's
/// ristretto255 vectors, and its X25519 rules against Wycheproof, before the interop tests rely on it.
/// </summary>
public class V2PeerSelfTest
{
    [Fact]
    public async Task Python_v2_peer_passes_the_noise_hybrid_and_cpace_vectors()
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Interop", "v2_peer.py");
        Assert.True(File.Exists(script), $"{script} was not copied to the test output");
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--self-test");

        using var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        string output = (await stdout).Trim();
        string errors = await stderr;

        Assert.False(
            output.Contains("ML-KEM-768 is missing", StringComparison.Ordinal),
            "python3 on PATH has no ML-KEM-768 (cryptography >= 46 needed; Debian's /usr/bin/python3 has 38): " + output);
        Assert.True(process.ExitCode == 0, $"v2_peer.py --self-test exited {process.ExitCode}: {output} {errors}");

        string line = output.Split('\n')[^1];
        using JsonDocument document = JsonDocument.Parse(line);
        JsonElement counts = document.RootElement;
        Assert.True(counts.GetProperty("ok").GetBoolean(), line);
        Assert.Equal(0, counts.GetProperty("failures").GetArrayLength());
        Assert.Equal(4, counts.GetProperty("noise_vectors").GetInt32());        // 2 cacophony + 2 hybrid
        Assert.Equal(2, counts.GetProperty("hybrid_vectors").GetInt32());
        Assert.Equal(2, counts.GetProperty("kem_encaps_checks").GetInt32());    // Encaps(ek, resp_kem_encaps_seed) reproduced
        Assert.Equal(24, counts.GetProperty("noise_messages").GetInt32());      // 6 messages each
        Assert.Equal(7, counts.GetProperty("cpace_checks").GetInt32());         // g, Ya, Yb, K twice, ISK_IR, valid point
        Assert.Equal(2, counts.GetProperty("cpace_invalid_rejected").GetInt32());
        Assert.Equal(474, counts.GetProperty("x25519_matches").GetInt32());     // Wycheproof x25519_test.json (518 cases)
        Assert.Equal(15, counts.GetProperty("x25519_zero_rejected").GetInt32());
        Assert.Equal(29, counts.GetProperty("x25519_noncanonical_rejected").GetInt32());
        Assert.True(counts.GetProperty("rule_checks").GetInt32() >= 12, line);
    }
}
