using System.Globalization;

namespace SecureChat.Tests.Support;

/// <summary>
/// Searches this process's own writable memory (/proc/self/mem, regions listed in /proc/self/maps)
/// for 32-byte secrets. The needles are kept masked (only a 2-byte prefix is used raw, as a table
/// index), so the search itself never puts a whole key back into memory.
/// </summary>
internal static class ProcessMemory
{
    private const byte Mask = 0xA5;

    /// <summary>A 32-byte key stored as (first two bytes, remaining 30 bytes XOR 0xA5).</summary>
    public sealed record MaskedKey(string Label, int Prefix, byte[] MaskedRest);

    /// <summary>A masked needle for the 32 bytes of <paramref name="key"/>, never copying them unmasked.</summary>
    public static MaskedKey Needle(string label, ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A needle is 32 bytes.", nameof(key));
        }

        byte[] rest = new byte[30];
        for (int i = 0; i < 30; i++)
        {
            rest[i] = (byte)(key[i + 2] ^ Mask);
        }

        return new MaskedKey(label, (key[0] << 8) | key[1], rest);
    }

    /// <summary>Parses a key log ("LABEL hex" lines) into masked needles, never forming the raw key.</summary>
    public static List<MaskedKey> ReadKeyLog(string path)
    {
        var keys = new List<MaskedKey>();
        foreach (string line in File.ReadAllLines(path))
        {
            string[] parts = line.Split(' ');
            if (parts.Length != 2 || parts[1].Length != 64)
            {
                continue;
            }

            string hex = parts[1];
            int prefix = (ParseByte(hex, 0) << 8) | ParseByte(hex, 1);
            byte[] rest = new byte[30];
            for (int i = 0; i < 30; i++)
            {
                rest[i] = (byte)(ParseByte(hex, i + 2) ^ Mask);
            }

            keys.Add(new MaskedKey(parts[0], prefix, rest));
        }

        return keys;
    }

    /// <summary>The labels of the keys found anywhere in writable memory (empty when none is).</summary>
    public static List<string> FindKeys(IReadOnlyList<MaskedKey> keys)
    {
        var table = new List<MaskedKey>?[65536];
        foreach (MaskedKey key in keys)
        {
            (table[key.Prefix] ??= []).Add(key);
        }

        var found = new HashSet<string>();
        byte[] chunk = new byte[1 << 20];
        using var mem = new FileStream("/proc/self/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        foreach ((ulong start, ulong end) in WritableRegions())
        {
            for (ulong at = start; at < end; at += (ulong)(chunk.Length - 32))
            {
                int want = (int)Math.Min((ulong)chunk.Length, end - at);
                int got;
                try
                {
                    mem.Seek((long)at, SeekOrigin.Begin);
                    got = mem.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
                }
                catch (IOException)
                {
                    break; // A region that cannot be read (unmapped meanwhile).
                }

                Scan(chunk.AsSpan(0, got), table, found);
                if (got < want)
                {
                    break;
                }
            }
        }

        return [.. found];
    }

    private static void Scan(ReadOnlySpan<byte> data, List<MaskedKey>?[] table, HashSet<string> found)
    {
        for (int i = 0; i + 32 <= data.Length; i++)
        {
            List<MaskedKey>? candidates = table[(data[i] << 8) | data[i + 1]];
            if (candidates is null)
            {
                continue;
            }

            foreach (MaskedKey key in candidates)
            {
                bool match = true;
                for (int j = 0; j < 30 && match; j++)
                {
                    match = (byte)(data[i + 2 + j] ^ Mask) == key.MaskedRest[j];
                }

                if (match)
                {
                    found.Add(key.Label);
                }
            }
        }
    }

    private static IEnumerable<(ulong Start, ulong End)> WritableRegions()
    {
        foreach (string line in File.ReadAllLines("/proc/self/maps"))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !fields[1].StartsWith("rw", StringComparison.Ordinal))
            {
                continue;
            }

            string[] range = fields[0].Split('-');
            yield return (ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                          ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
    }

    private static int ParseByte(string hex, int index) =>
        int.Parse(hex.AsSpan(2 * index, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
