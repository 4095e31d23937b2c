using System.Reflection;
using SecureChat.Session;

namespace SecureChat.Cli.Tests.Output;

/// <summary>
/// The CLI's one table from the library's fault vocabulary to the README's codes: every kind and
/// every detail value has a row, so a new enum value in the library fails here until it is mapped.
/// </summary>
public class FaultTableTests
{
    /// <summary>README, "JSON events": the `error` codes.</summary>
    private static readonly string[] DocumentedCodes = ["bad-input", "auth-failed", "key-mismatch", "integrity", "handshake", "protocol", "timeout", "io"];

    /// <summary>The detail enums the library's fault exceptions carry.</summary>
    private static readonly Type[] DetailEnums = [typeof(AuthenticationFailure), typeof(PeerRejection), typeof(RefusalCode)];

    private static IEnumerable<Enum?> DetailsOf(SessionFault fault) => fault switch
    {
        SessionFault.Authentication => [.. Enum.GetValues<AuthenticationFailure>().Cast<Enum>(), .. Enum.GetValues<PeerRejection>().Cast<Enum>()],
        SessionFault.Refused => Enum.GetValues<RefusalCode>().Cast<Enum?>(),
        _ => [null],
    };

    private static FaultFacts Facts(bool duringHandshake, bool initiator, bool byPeer) =>
        new("peer.example:7000", duringHandshake, initiator, null, new PeerRejectedException(PeerRejection.KeyMismatch, byPeer, "The fact.", null, "their reason"));

    [Fact]
    public void Every_error_code_has_a_documented_spelling()
    {
        string[] spelled = Enum.GetValues<ErrorCode>().Select(Faults.Json).ToArray();
        Assert.Equal(DocumentedCodes.Order(StringComparer.Ordinal), spelled.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_library_fault_and_detail_maps_to_a_documented_code_and_exit_code()
    {
        int rows = 0;
        foreach (SessionFault fault in Enum.GetValues<SessionFault>())
        {
            foreach (Enum? detail in DetailsOf(fault))
            {
                foreach (bool duringHandshake in new[] { true, false })
                {
                    foreach (bool initiator in new[] { true, false })
                    {
                        foreach (bool byPeer in new[] { true, false })
                        {
                            Fault mapped = Faults.Describe(fault, detail, Facts(duringHandshake, initiator, byPeer));
                            Assert.Contains(mapped.Code, DocumentedCodes);
                            Assert.NotEqual("bad-input", mapped.Code); // the peer's doing is never a usage error
                            Assert.InRange(mapped.ExitCode, ExitCodes.Other, ExitCodes.Connection);
                            Assert.NotEqual(ExitCodes.Usage, mapped.ExitCode);
                            Assert.False(string.IsNullOrWhiteSpace(mapped.Message));
                            rows++;
                        }
                    }
                }
            }
        }

        Assert.True(rows > 0);
    }

    [Fact]
    public void Library_fault_exceptions_carry_no_detail_enum_the_table_does_not_know()
    {
        Type[] exceptions = typeof(SecureChatException).Assembly.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(SecureChatException)) || t == typeof(TransferLimitException))
            .ToArray();
        Assert.NotEmpty(exceptions);
        foreach (Type type in exceptions)
        {
            foreach (PropertyInfo property in type.GetProperties().Where(p => p.PropertyType.IsEnum && p.PropertyType != typeof(SessionFault)))
            {
                Assert.True(DetailEnums.Contains(property.PropertyType) || property.PropertyType == typeof(TransferLimit), $"{type.Name}.{property.Name} is a {property.PropertyType.Name}, which the fault table does not map.");
            }
        }
    }

    [Theory]
    [InlineData(SessionFault.Authentication, PeerRejection.KeyMismatch, "key-mismatch", ExitCodes.Authentication)]
    [InlineData(SessionFault.Authentication, PeerRejection.NotAuthorized, "auth-failed", ExitCodes.Authentication)]
    [InlineData(SessionFault.Authentication, AuthenticationFailure.WrongPassphrase, "auth-failed", ExitCodes.Authentication)]
    [InlineData(SessionFault.Refused, RefusalCode.Busy, "handshake", ExitCodes.Other)]
    [InlineData(SessionFault.Refused, RefusalCode.UnsupportedVersion, "protocol", ExitCodes.Integrity)]
    [InlineData(SessionFault.Refused, (RefusalCode)99, "protocol", ExitCodes.Integrity)]
    [InlineData(SessionFault.ConnectionLost, null, "io", ExitCodes.Connection)]
    [InlineData(SessionFault.Timeout, null, "timeout", ExitCodes.Connection)]
    public void Rows_keep_the_documented_codes(SessionFault fault, object? detail, string code, int exitCode)
    {
        Fault mapped = Faults.Describe(fault, (Enum?)detail, Facts(duringHandshake: true, initiator: true, byPeer: false));
        Assert.Equal((code, exitCode), (mapped.Code, mapped.ExitCode));
    }

    [Theory]
    [InlineData(true, "handshake")]
    [InlineData(false, "integrity")]
    public void Integrity_is_a_handshake_failure_before_the_chat_starts(bool duringHandshake, string code)
    {
        Fault mapped = Faults.Describe(SessionFault.Integrity, null, Facts(duringHandshake, initiator: true, byPeer: false));
        Assert.Equal((code, ExitCodes.Integrity), (mapped.Code, mapped.ExitCode));
    }

    [Fact]
    public void Every_transfer_limit_has_words_for_both_kinds_of_accept()
    {
        foreach (TransferLimit limit in Enum.GetValues<TransferLimit>())
        {
            Assert.False(string.IsNullOrWhiteSpace(Faults.LimitText(limit, 1000, 3, "/tmp/downloads", automatic: true)));
            Assert.False(string.IsNullOrWhiteSpace(Faults.LimitText(limit, 1000, 3, "/tmp/downloads", automatic: false)));
        }
    }
}
