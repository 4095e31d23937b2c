namespace SecureChat.Transfer;

/// <summary>
/// FILE_OFFER (docs/PROTOCOL.md §4.1), JSON <c>{"id":N,"name":"…","size":N,"sha256":"…"|null}</c>: the
/// sender offers a file.
/// </summary>
/// <param name="Id">The transfer id, 1 … 4294967295, chosen by the sender.</param>
/// <param name="Name">The sender's suggested name, 1 … 4096 UTF-8 bytes, not yet safe to use (see <see cref="SafeFileName"/>).</param>
/// <param name="Size">The file's length in bytes, 0 … 2^53 − 1.</param>
/// <param name="Sha256Hex">The SHA-256 of the whole file, 64 lower-case hexadecimal digits, or null when the sender hashes while it sends and says it in its FILE_END.</param>
internal sealed record FileOffer(uint Id, string Name, long Size, string? Sha256Hex);

/// <summary>
/// FILE_ACCEPT, JSON <c>{"id":N,"offset":N}</c> or, resuming, <c>{"id":N,"offset":N,"challenge":"…","prefix_mac":"…"}</c>:
/// the receiver wants the file from <paramref name="Offset"/> on.
/// </summary>
/// <param name="Id">The transfer id from the offer.</param>
/// <param name="Offset">Where to start sending, 0 … 2^53 − 1 (more than 0 when a partial download is resumed).</param>
/// <param name="ChallengeHex">
/// With an offset above 0 (and only then): 32 fresh random bytes from the receiver, 64 lower-case
/// hexadecimal digits, the HMAC key of <paramref name="PrefixMacHex"/>.
/// </param>
/// <param name="PrefixMacHex">
/// With an offset above 0 (and only then): HMAC-SHA256(key = the challenge's 32 bytes, message = the
/// receiver's first <paramref name="Offset"/> bytes), 64 lower-case hexadecimal digits, which the
/// sender checks against its own file before it sends from there. Keyed, so no plain digest of the
/// receiver's data (which SHA-256 length extension could build on) ever leaves it.
/// </param>
internal sealed record FileAccept(uint Id, long Offset, string? ChallengeHex = null, string? PrefixMacHex = null);

/// <summary>FILE_REJECT, JSON <c>{"id":N,"reason":"…"}</c>: the receiver declines the offer.</summary>
/// <param name="Id">The transfer id from the offer.</param>
/// <param name="Reason">Why, for a person to read; at most 1024 characters. Not sanitised for display.</param>
internal sealed record FileReject(uint Id, string Reason);

/// <summary>
/// FILE_END, JSON <c>{"id":N,"sha256":"…"}</c> from the sender (all data is sent; the SHA-256 of the
/// whole file), <c>{"id":N}</c> from the receiver (the file arrived and its SHA-256 matched).
/// </summary>
/// <param name="Id">The transfer id.</param>
/// <param name="Sha256Hex">The sender's SHA-256 of the whole file, lower case; null from the receiver.</param>
internal sealed record FileEnd(uint Id, string? Sha256Hex = null);

/// <summary>
/// FILE_RESTART, JSON <c>{"id":N}</c>, from the sender right after a resumed FILE_ACCEPT whose prefix
/// MAC is not that of its own file's start: the receiver empties its .part, and the data follows from byte 0.
/// </summary>
/// <param name="Id">The transfer id.</param>
internal sealed record FileRestart(uint Id);

/// <summary>FILE_CANCEL, JSON <c>{"id":N,"reason":"…"}</c>: either side stops the transfer.</summary>
/// <param name="Id">The transfer id.</param>
/// <param name="Reason">Why, for a person to read; at most 1024 characters. Not sanitised for display.</param>
internal sealed record FileCancel(uint Id, string Reason);
