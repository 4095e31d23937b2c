using SecureChat.Session;

namespace SecureChat.Compat.Tests;

/// <summary>The core assembly a third party embeds carries no weak protocol: those live here.</summary>
public class AssemblySplitTests
{
    [Fact]
    public void Core_assembly_has_no_compat_namespace_and_compat_has_the_seed_sessions()
    {
        Type[] core = typeof(SecureChatSession).Assembly.GetTypes();
        Assert.DoesNotContain(core, t => t.Namespace?.StartsWith("SecureChat.Compat", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(core, t => t.Name.StartsWith("Seed", StringComparison.Ordinal) || t.Name.Contains("RsaPss", StringComparison.Ordinal));
        Assert.Equal("SecureChat.Compat", typeof(SeedAesSession).Assembly.GetName().Name);
        Assert.Equal("SecureChat.Compat", typeof(SeedRsaSession).Assembly.GetName().Name);
    }
}
