namespace SecureChat.Relay.Nameplates;

/// <summary>A registry that depends on an outside store (Redis): whether that store answers now (<c>/readyz</c>, <c>redis_up</c>).</summary>
internal interface IRegistryHealth
{
    /// <summary>True while the store is connected.</summary>
    bool IsUp { get; }
}
