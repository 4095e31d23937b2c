using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace SecureChat.Cli.Bench;

/// <summary>
/// The physical baselines of `securechat bench` (issue 14): the same loopback sockets, process
/// layout and frames as the session's phases, without any cryptography and without the session's
/// machinery (no sealing, no events, no send lock). What the session reaches next to these is
/// the cost of everything it adds.
/// </summary>
internal sealed class RawTcpBench(TimeSpan phase, Func<CancellationToken, Task<(NetworkStream Client, NetworkStream Server)>> connect)
{
    /// <summary>The listener echoes each 100-byte frame; each round trip is timed (µs).</summary>
    public async Task<List<double>> RoundTripsAsync(int bodyBytes, CancellationToken cancellationToken)
    {
        var (client, server) = await connect(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            Task echo = Task.Run(() => EchoAsync(server, cancellationToken), cancellationToken);
            byte[] frame = new byte[RawFrames.FrameSize(bodyBytes)];
            var reader = new RawFrameReader(client);
            var samples = new List<double>();
            var total = Stopwatch.StartNew();
            while (total.Elapsed < phase)
            {
                long start = Stopwatch.GetTimestamp();
                RawFrames.WriteHeader(frame, RawFrames.TypeText, bodyBytes);
                await client.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                _ = await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the echo ended early");
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }

            client.Socket.Shutdown(SocketShutdown.Send);
            await echo.ConfigureAwait(false);
            return samples[Math.Min(100, samples.Count / 10)..]; // without the warm-up, like the session's phase
        }
    }

    private static async Task EchoAsync(NetworkStream server, CancellationToken cancellationToken)
    {
        var reader = new RawFrameReader(server);
        byte[] reply = new byte[RawFrames.MaxFrameSize];
        while (await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } body)
        {
            reply[0] = (byte)(body.Length >> 8);
            reply[1] = (byte)body.Length;
            body.Span.CopyTo(reply.AsSpan(2));
            await server.WriteAsync(reply.AsMemory(0, 2 + body.Length), cancellationToken).ConfigureAwait(false);
        }

        server.Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Frames with <paramref name="bodyBytes"/>-byte bodies, one write per frame, as fast as the socket takes them; returns frames per second received.</summary>
    public async Task<double> OneWayAsync(int bodyBytes, CancellationToken cancellationToken)
    {
        var (client, server) = await connect(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task sending = Task.Run(async () =>
            {
                byte[] body = new byte[bodyBytes];
                body.AsSpan().Fill((byte)'m');
                byte[] frame = new byte[RawFrames.FrameSize(bodyBytes)];
                while (!stop.IsCancellationRequested)
                {
                    RawFrames.WriteHeader(frame, RawFrames.TypeText, bodyBytes);
                    body.CopyTo(frame.AsSpan(4));
                    await client.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }

                client.Socket.Shutdown(SocketShutdown.Send);
            }, CancellationToken.None);

            var reader = new RawFrameReader(server);
            for (int i = 0; i < 1000; i++)
            {
                _ = await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            }

            long received = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < phase)
            {
                _ = await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the sender stopped early");
                received++;
            }

            double rate = received / clock.Elapsed.TotalSeconds;
            await stop.CancelAsync().ConfigureAwait(false);
            while (await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                // Drain, so that the sender's last write completes and it hangs up.
            }

            await sending.ConfigureAwait(false);
            return rate;
        }
    }

    /// <summary>
    /// The file path without cryptography: the sender reads <paramref name="files"/>' source straight
    /// into FILE_DATA-sized frames, four per write; the receiver parses them and writes the file bytes
    /// to a new file next to it, closed at the end. Files are sent one after another for the phase;
    /// returns MB/s (10^6 bytes) from the first byte sent to the receiver's file being closed.
    /// With <paramref name="touchFiles"/> false, the same frames go from memory to memory (nothing read or written).
    /// </summary>
    public async Task<double> BulkAsync(BenchFiles files, bool touchFiles, CancellationToken cancellationToken)
    {
        var (client, server) = await connect(cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            using SafeFileHandle source = File.OpenHandle(files.Source);
            var reader = new RawFrameReader(server);
            long bytes = 0;
            TimeSpan elapsed = TimeSpan.Zero;
            while (elapsed < phase || bytes == 0)
            {
                string destination = files.NewDestination();
                long start = Stopwatch.GetTimestamp();
                Task sending = Task.Run(() => SendFileFramesAsync(client, touchFiles ? source : null, files.Size, cancellationToken), cancellationToken);
                await ReceiveFileFramesAsync(reader, touchFiles ? destination : null, files.Size, cancellationToken).ConfigureAwait(false);
                await sending.ConfigureAwait(false);
                elapsed += Stopwatch.GetElapsedTime(start);
                bytes += files.Size;
                File.Delete(destination);
            }

            return bytes / 1e6 / elapsed.TotalSeconds;
        }
    }

    private static async Task SendFileFramesAsync(NetworkStream client, SafeFileHandle? source, long size, CancellationToken cancellationToken)
    {
        const int header = RawFrames.HeaderSize + 1 + RawFrames.FileIdSize;
        byte[] buffer = new byte[RawFrames.FramesPerWrite * RawFrames.MaxFrameSize];
        long position = 0;
        while (position < size)
        {
            int length = 0;
            for (int i = 0; i < RawFrames.FramesPerWrite && position < size; i++)
            {
                int want = (int)Math.Min(RawFrames.FileChunkSize, size - position);
                Span<byte> frame = buffer.AsSpan(length);
                frame[4..header].Clear(); // the transfer id
                int read = source is null ? want : RandomAccess.Read(source, frame.Slice(header, want), position);
                if (read <= 0)
                {
                    throw new IOException("the source file shrank");
                }

                RawFrames.WriteHeader(frame, RawFrames.TypeFileData, RawFrames.FileIdSize + read);
                position += read;
                length += RawFrames.FrameSize(RawFrames.FileIdSize + read);
            }

            await client.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ReceiveFileFramesAsync(RawFrameReader reader, string? destination, long size, CancellationToken cancellationToken)
    {
        const int skip = 1 + 1 + RawFrames.FileIdSize; // kind, type, id
        SafeFileHandle? file = destination is null ? null : File.OpenHandle(destination, FileMode.CreateNew, FileAccess.Write);
        using (file)
        {
            long position = 0;
            while (position < size)
            {
                Memory<byte> body = await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the sender stopped early");
                if (body.Length < skip + RawFrames.TagSize)
                {
                    throw new InvalidDataException("a file frame too short for its header and tag");
                }

                ReadOnlySpan<byte> data = body.Span[skip..^RawFrames.TagSize];
                if (file is not null)
                {
                    RandomAccess.Write(file, data, position);
                }

                position += data.Length;
            }
        }
    }
}
