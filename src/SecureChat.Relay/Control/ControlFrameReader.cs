using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Control;

/// <summary>
/// Reads a client's first frame, and not one byte more (what follows a claim is the joiner's
/// HELLO, forwarded verbatim later). N is checked against 1,025 before the body is read. A
/// connection holds no buffer until bytes arrive (<see cref="Hosting.SocketInput"/>); the 1,027-byte buffer
/// is rented from the shared pool and returned at once. Parsing is <see cref="RelayControl.Parse"/>.
/// </summary>
internal static class ControlFrameReader
{
    /// <summary>The most bytes a control frame occupies on the stream.</summary>
    public const int MaxFrameSize = 2 + RelayControl.MaxBodyLength;

    /// <summary>The request, or null when the client closed before sending a byte.</summary>
    /// <exception cref="RelayRequestException">bad-request: N out of range, the stream ended inside the frame, or not a valid control frame.</exception>
    /// <exception cref="OperationCanceledException">The deadline passed.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static async ValueTask<RelayMessage?> ReadAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (!await Hosting.SocketInput.WaitAsync(socket, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxFrameSize);
        try
        {
            int got = await FillAsync(socket, buffer.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                return null;
            }

            if (got < 2)
            {
                throw new RelayRequestException("The stream ended inside the frame's length.");
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            if (length is 0 or > RelayControl.MaxBodyLength)
            {
                throw new RelayRequestException($"A control frame is 1 to {RelayControl.MaxBodyLength} bytes.");
            }

            if (await FillAsync(socket, buffer.AsMemory(2, length), cancellationToken).ConfigureAwait(false) < length)
            {
                throw new RelayRequestException("The stream ended inside the frame.");
            }

            return Parse(buffer.AsSpan(2, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A request: <see cref="RelayAllocate"/> or <see cref="RelayClaim"/>; anything else is bad-request.</summary>
    /// <exception cref="RelayRequestException">bad-request.</exception>
    public static RelayMessage Parse(ReadOnlySpan<byte> body)
    {
        RelayMessage message;
        try
        {
            message = RelayControl.Parse(body);
        }
        catch (FormatException e)
        {
            throw new RelayRequestException("Not a valid control frame: one JSON object with \"op\" allocate or claim, kind 0x10.", e);
        }

        return message is RelayAllocate or RelayClaim
            ? message
            : throw new RelayRequestException("The first frame must be {\"op\":\"allocate\"} or {\"op\":\"claim\",\"nameplate\":N}.");
    }

    private static async ValueTask<int> FillAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            int n = await socket.ReceiveAsync(destination[filled..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }
}
