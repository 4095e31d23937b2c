using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using SecureChat.Session;

namespace SecureChat.Compat.Tests;

/// <summary>
/// The libraries never write to the console: what to show, and where, is the front end's decision
/// (a GUI or a service has no console). Checked in the IL, so no use can hide behind a helper.
/// </summary>
public class NoConsoleTests
{
    public static TheoryData<string> Libraries() => new()
    {
        typeof(SecureChatSession).Assembly.Location,
        typeof(SeedAesSession).Assembly.Location,
    };

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Library_assembly_references_no_System_Console(string path)
    {
        List<string> referenced = ReferencedTypes(path);

        Assert.NotEmpty(referenced);
        Assert.DoesNotContain("System.Console", referenced);
    }

    [Fact]
    public void The_check_finds_a_console_use_where_there_is_one()
    {
        // This assembly's own use, which the check must see, or it proves nothing.
        Assert.NotNull(Console.Out);
        Assert.Contains("System.Console", ReferencedTypes(typeof(NoConsoleTests).Assembly.Location));
    }

    private static List<string> ReferencedTypes(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader metadata = pe.GetMetadataReader();
        return metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(type => metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name))
            .ToList();
    }
}
