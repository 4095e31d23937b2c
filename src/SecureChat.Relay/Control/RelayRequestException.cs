namespace SecureChat.Relay.Control;

/// <summary>
/// A client's request the relay refuses, with the error code it answers
/// (<see cref="SecureChat.Rendezvous.RelayErrorCodes"/>). The message goes to the client; it never
/// contains anything but the reason.
/// </summary>
public sealed class RelayRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RelayRequestException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>Creates the exception with code bad-request.</summary>
    public RelayRequestException()
        : this(SecureChat.Rendezvous.RelayErrorCodes.BadRequest, "Bad request.")
    {
    }

    /// <summary>Creates the exception with code bad-request.</summary>
    public RelayRequestException(string message)
        : this(SecureChat.Rendezvous.RelayErrorCodes.BadRequest, message)
    {
    }

    /// <summary>Creates the exception with code bad-request.</summary>
    public RelayRequestException(string message, Exception inner)
        : this(SecureChat.Rendezvous.RelayErrorCodes.BadRequest, message, inner)
    {
    }

    /// <summary>The error code (bad-request, busy, …).</summary>
    public string Code { get; }
}
