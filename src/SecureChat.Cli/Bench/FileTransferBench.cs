using System.Diagnostics;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Bench;

/// <summary>
/// The session's binary bulk path (issue 14): files sent with <see cref="SecureChatSession.SendFileAsync"/>
/// and accepted with <see cref="SecureChatSession.AcceptFileAsync"/>, so the data travels as FILE_DATA
/// frames, from a file in memory to a directory in memory. Timed from the receiver's accept to its
/// <see cref="FileCompleted"/> (every frame, the receiver's hash check and rename); the sender's
/// pass over the file before its offer is not counted. Files are sent one after another for the phase.
/// </summary>
internal static class FileTransferBench
{
    /// <summary>Returns MB/s (10^6 bytes).</summary>
    public static async Task<double> RunAsync(SecureChatSession client, SecureChatSession server, BenchFiles files, TimeSpan phase, CancellationToken cancellationToken)
    {
        Task<string?> senderEvents = DrainAsync(client, cancellationToken);
        long bytes = 0;
        TimeSpan elapsed = TimeSpan.Zero;
        while (elapsed < phase || bytes == 0)
        {
            FileOfferSent sent = await client.SendFileAsync(files.Source, cancellationToken).ConfigureAwait(false);
            FileOffered offer = await NextAsync<FileOffered>(server, sent.Id, cancellationToken).ConfigureAwait(false);
            long start = Stopwatch.GetTimestamp();
            await server.AcceptFileAsync(offer.Id, files.Incoming, cancellationToken).ConfigureAwait(false);
            FileCompleted done = await NextAsync<FileCompleted>(server, offer.Id, cancellationToken).ConfigureAwait(false);
            elapsed += Stopwatch.GetElapsedTime(start);
            bytes += offer.Size;
            File.Delete(done.Path);
        }

        await client.CloseAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (await senderEvents.ConfigureAwait(false) is { } failure)
        {
            throw new IOException("the sender's side of the bench transfer failed: " + failure);
        }

        return bytes / 1e6 / elapsed.TotalSeconds;
    }

    /// <summary>The next event of type <typeparamref name="T"/> for transfer <paramref name="id"/>; progress and other events are skipped.</summary>
    private static async Task<T> NextAsync<T>(SecureChatSession session, uint id, CancellationToken cancellationToken)
        where T : SessionEvent
    {
        while (true)
        {
            SessionEvent next = await session.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            switch (next)
            {
                case T wanted when Id(wanted) == id:
                    return wanted;
                case FileFailed failed:
                    throw new IOException("the bench transfer failed: " + failed.Reason);
                case SessionClosed:
                    throw new IOException("the session ended during the bench transfer");
            }
        }
    }

    private static uint Id(SessionEvent evt) => evt switch
    {
        FileOffered offered => offered.Id,
        FileCompleted completed => completed.Id,
        _ => throw new ArgumentException("not a transfer event", nameof(evt)),
    };

    /// <summary>Reads the sender's events (accepted, progress, completed) so they never hold up its session; returns the first failure.</summary>
    private static async Task<string?> DrainAsync(SecureChatSession client, CancellationToken cancellationToken)
    {
        string? failure = null;
        try
        {
            while (true)
            {
                SessionEvent evt = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                if (evt is SessionClosed)
                {
                    break;
                }

                if (evt is FileFailed failed)
                {
                    failure ??= failed.Reason;
                }
            }
        }
        catch (SecureChatException e)
        {
            failure ??= e.Message;
        }

        return failure;
    }
}
