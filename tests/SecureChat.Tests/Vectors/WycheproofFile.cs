using System.Text.Json;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// Loads a Wycheproof test-vector file (C2SP/wycheproof, testvectors_v1) from
/// Vectors/data/wycheproof in the output directory and flattens its groups into cases.
/// </summary>
internal static class WycheproofFile
{
    public static IReadOnlyList<WycheproofCase> Load(string fileName, string expectedAlgorithm)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "data", "wycheproof", fileName);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        Assert.Equal(expectedAlgorithm, root.GetProperty("algorithm").GetString());

        var cases = new List<WycheproofCase>();
        foreach (JsonElement group in root.GetProperty("testGroups").EnumerateArray())
        {
            // Clone detaches the elements from the document, which is disposed on return.
            JsonElement detachedGroup = group.Clone();
            foreach (JsonElement test in detachedGroup.GetProperty("tests").EnumerateArray())
            {
                cases.Add(new WycheproofCase(detachedGroup, test));
            }
        }

        // A truncated or mis-parsed file must not pass by testing fewer vectors.
        Assert.Equal(root.GetProperty("numberOfTests").GetInt32(), cases.Count);
        return cases;
    }
}
