using BenchmarkDotNet.Attributes;
using SecureChat.Framing;
using SecureChat.Transfer;

namespace SecureChat.Benchmarks;

/// <summary>The pure parsers: frame headers over a buffer of back-to-back frames, and a FILE_OFFER body.</summary>
[MemoryDiagnoser]
#pragma warning disable CA1852 // BenchmarkDotNet derives from benchmark classes
public class FramingBenchmarks
{
    private byte[] _frames = [];
    private byte[] _offer = [];

    [Params(16, 65535)]
    public int FrameSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int count = 64;
        _frames = new byte[count * (Frame.HeaderSize + FrameSize)];
        for (int i = 0; i < count; i++)
        {
            Frame.WriteHeader(_frames.AsSpan(i * (Frame.HeaderSize + FrameSize)), FrameKind.Transport, FrameSize);
        }

        _offer = FileMessages.Encode(new FileOffer(1, "quarterly report.pdf", 123_456_789, new string('a', 64)));
    }

    /// <summary>Parses 64 frames.</summary>
    [Benchmark]
    public int ParseFrames()
    {
        int offset = 0;
        int found = 0;
        while (Frame.TryParse(_frames.AsSpan(offset), out int length) == FrameStatus.Complete)
        {
            offset += Frame.HeaderSize + length;
            found++;
        }

        return found;
    }

    [Benchmark]
    public long ParseFileOffer() => FileMessages.ParseOffer(_offer).Size;
}
