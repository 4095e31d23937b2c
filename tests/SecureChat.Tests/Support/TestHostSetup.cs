using System.Runtime.CompilerServices;

namespace SecureChat.Tests.Support;

internal static class TestHostSetup
{
    /// <summary>
    /// The test host keeps some thread-pool threads blocked on its own pipes; on a 2-core machine
    /// that leaves the pool two or three threads, and the pool adds more only about twice a second,
    /// so the keep-alive and close timers of many concurrent sessions would be starved. A larger
    /// minimum removes that artefact of the test host (a console process does not need it).
    /// </summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Test host configuration.")]
    internal static void Initialize() => ThreadPool.SetMinThreads(32, 32);
}
