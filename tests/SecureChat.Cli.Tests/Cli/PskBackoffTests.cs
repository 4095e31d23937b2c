using SecureChat.Cli.Commands;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>The pauses of a passphrase listener after failed attempts (docs/PROTOCOL.md §8).</summary>
public sealed class PskBackoffTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(1000, 60)]
    public void The_pause_doubles_from_one_second_up_to_sixty(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PskBackoff.DelayAfter(failures));
}
