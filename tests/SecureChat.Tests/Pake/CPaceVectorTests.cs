using System.Text.Json;
using SecureChat.Pake;

namespace SecureChat.Tests.Pake;

/// <summary>
/// draft-irtf-cfrg-cpace-21 appendix B, ristretto255 with SHA-512 (Vectors/data/cpace): the string
/// helpers, the generator string, g, Ya, Yb, K both ways, ISK_IR, and scalar_mult_vfy on the
/// G_Coffee25519_points cases.
/// </summary>
public sealed class CPaceVectorTests
{
    private static readonly JsonElement Vectors = Load();

    private static byte[] Hex(string name) => Convert.FromHexString(Vectors.GetProperty("G_Coffee25519").GetProperty(name).GetString()!);

    private static JsonElement Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "data", "cpace", "ristretto255-sha512.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    [Fact]
    public void Prepend_len_and_lv_cat_match_the_appendix()
    {
        // Appendix A.1: prepend_len test vectors and the lv_cat test vector.
        Assert.Equal("00", Encode([]));
        Assert.Equal("0431323334", Encode("1234"u8));
        byte[] range127 = [.. Enumerable.Range(0, 127).Select(i => (byte)i)];
        byte[] range128 = [.. Enumerable.Range(0, 128).Select(i => (byte)i)];
        Assert.Equal("7f" + Convert.ToHexStringLower(range127), Encode(range127));
        Assert.Equal("8001" + Convert.ToHexStringLower(range128), Encode(range128));
        Assert.Equal(3, LengthValue.PrefixLength(16_384));

        byte[] cat = new byte[12];
        int position = LengthValue.Write("1234"u8, cat);
        position += LengthValue.Write("5"u8, cat.AsSpan(position));
        position += LengthValue.Write([], cat.AsSpan(position));
        position += LengthValue.Write("678"u8, cat.AsSpan(position));
        Assert.Equal(12, position);
        Assert.Equal("043132333401350003363738", Convert.ToHexStringLower(cat));

        static string Encode(ReadOnlySpan<byte> data)
        {
            byte[] output = new byte[LengthValue.EncodedLength(data.Length)];
            Assert.Equal(output.Length, LengthValue.Write(data, output));
            return Convert.ToHexStringLower(output);
        }
    }

    [Fact]
    public void Generator_string_matches_the_appendix_with_100_bytes_of_zero_padding()
    {
        byte[] prs = Hex("PRS");
        Assert.Equal(100, CPaceRistretto255.ZeroPaddingLength(prs.Length));
        int length = CPaceRistretto255.GeneratorStringLength(prs.Length, Hex("CI").Length, Hex("sid").Length);
        Assert.Equal(170, length);
        byte[] generatorString = new byte[length];
        Assert.Equal(length, CPaceRistretto255.WriteGeneratorString(prs, Hex("CI"), Hex("sid"), generatorString));
        string expected =
            "11435061636552697374726574746f3235350850617373776f726464"
            + new string('0', 200)
            + "180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57";
        Assert.Equal(expected, Convert.ToHexStringLower(generatorString));
    }

    [Fact]
    public void A_long_prs_gets_no_zero_padding_and_the_blocks_line_up()
    {
        // DSI (18) + PRS (1 + n) + padding (1 + zpad) fill exactly one 128-byte block while they can.
        Assert.Equal(0, CPaceRistretto255.ZeroPaddingLength(108));
        Assert.Equal(0, CPaceRistretto255.ZeroPaddingLength(500));
        for (int n = 0; n < 108; n++)
        {
            Assert.Equal(128, 18 + LengthValue.EncodedLength(n) + LengthValue.EncodedLength(CPaceRistretto255.ZeroPaddingLength(n)));
        }
    }

    [Fact]
    public void Generator_matches_the_vector()
    {
        byte[] g = new byte[32];
        CPaceRistretto255.CalculateGenerator(Hex("PRS"), Hex("CI"), Hex("sid"), g);
        Assert.Equal(Hex("g"), g);
    }

    [Fact]
    public void Shares_K_and_ISK_IR_match_the_vector()
    {
        byte[] ya = new byte[32];
        byte[] yb = new byte[32];
        CPaceRistretto255.ComputePublicShare(Hex("PRS"), Hex("CI"), Hex("sid"), Hex("ya"), ya);
        CPaceRistretto255.ComputePublicShare(Hex("PRS"), Hex("CI"), Hex("sid"), Hex("yb"), yb);
        Assert.Equal(Hex("Ya"), ya);
        Assert.Equal(Hex("Yb"), yb);

        byte[] ka = new byte[32];
        byte[] kb = new byte[32];
        Assert.True(CPaceRistretto255.ScalarMultVfy(Hex("ya"), Hex("Yb"), ka));
        Assert.True(CPaceRistretto255.ScalarMultVfy(Hex("yb"), Hex("Ya"), kb));
        Assert.Equal(Hex("K"), ka);
        Assert.Equal(Hex("K"), kb);

        byte[] isk = new byte[64];
        CPaceRistretto255.DeriveIsk(Hex("sid"), ka, Hex("Ya"), Hex("ADa"), Hex("Yb"), Hex("ADb"), isk);
        Assert.Equal(Hex("ISK_IR"), isk);
    }

    [Fact]
    public void Scalar_mult_vfy_matches_the_valid_point_case()
    {
        JsonElement valid = Vectors.GetProperty("G_Coffee25519_points").GetProperty("Valid");
        byte[] result = new byte[32];
        Assert.True(CPaceRistretto255.ScalarMultVfy(
            Convert.FromHexString(valid.GetProperty("s").GetString()!), Convert.FromHexString(valid.GetProperty("X").GetString()!), result));
        Assert.Equal(Convert.FromHexString(valid.GetProperty("G.scalar_mult_vfy(s,X)").GetString()!), result);
        Assert.Equal(Convert.FromHexString(valid.GetProperty("G.scalar_mult(s,decode(X))").GetString()!), result);
    }

    [Theory]
    [InlineData("Invalid Y1")]
    [InlineData("Invalid Y2")]
    public void Scalar_mult_vfy_rejects_the_invalid_encodings(string name)
    {
        JsonElement points = Vectors.GetProperty("G_Coffee25519_points");
        byte[] scalar = Convert.FromHexString(points.GetProperty("Valid").GetProperty("s").GetString()!);
        byte[] result = new byte[32];
        Assert.False(CPaceRistretto255.ScalarMultVfy(scalar, Convert.FromHexString(points.GetProperty(name).GetString()!), result));
        Assert.All(result, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Initiator_and_responder_reproduce_K_through_the_public_types()
    {
        // The vector's CI is not a SecureChat CI, so this runs the two classes with the vector's
        // scalars and PRS over SecureChat's CI and checks that both land on the same psk.
        byte[] sid = Hex("sid");
        byte[] pskA = new byte[32];
        byte[] pskB = new byte[32];
        byte[] yb = new byte[32];
        using var initiator = new CPaceInitiator(Hex("PRS"), "123"u8, sid, fixedScalar: Hex("ya"));
        CPaceResponder.Respond(Hex("PRS"), "123"u8, sid, initiator.Ya, yb, pskB, fixedScalar: Hex("yb"));
        initiator.Finish(yb, pskA);
        Assert.Equal(pskA, pskB);

        // And the same values by hand, step by step.
        byte[] ci = CPaceChannel.ChannelIdentifier("123"u8);
        byte[] ya = new byte[32];
        CPaceRistretto255.ComputePublicShare(Hex("PRS"), ci, sid, Hex("ya"), ya);
        byte[] k = new byte[32];
        Assert.True(CPaceRistretto255.ScalarMultVfy(Hex("ya"), yb, k));
        byte[] isk = new byte[64];
        CPaceRistretto255.DeriveIsk(sid, k, ya, [], yb, [], isk);
        byte[] psk = System.Security.Cryptography.SHA256.HashData([.. "SecureChat/2 psk"u8, .. isk]);
        Assert.Equal(psk, pskA);
    }
}
