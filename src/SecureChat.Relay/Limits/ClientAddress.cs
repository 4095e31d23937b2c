using System.Net;

namespace SecureChat.Relay.Limits;

/// <summary>
/// A client as the limits see it: its address keys and whether it is exempt. The address itself
/// is kept only for events when the operator asked for addresses (<see cref="RelayOptions.LogAddresses"/>).
/// </summary>
internal sealed record ClientAddress(AddressKeys Keys, bool Exempt, IPAddress? LoggedAddress);
