using SecureChat.Session;

namespace SecureChat.Tests.Session;

public class SessionLifecycleTests
{
    [Fact]
    public void A_clean_close_goes_open_closing_shutting_down_closed()
    {
        var lifecycle = new SessionLifecycle();
        Assert.Equal(SessionState.Open, lifecycle.State);
        Assert.True(lifecycle.TryBeginClose());
        Assert.False(lifecycle.TryBeginClose());
        Assert.Equal(SessionState.Closing, lifecycle.State);
        Assert.True(lifecycle.TryBeginShutdown());
        Assert.False(lifecycle.TryBeginShutdown());
        Assert.True(lifecycle.IsShuttingDown);
        lifecycle.End();
        Assert.Equal(SessionState.Closed, lifecycle.State);
        Assert.Null(lifecycle.Fault);
    }

    [Fact]
    public void The_first_fault_is_kept_and_the_session_ends_faulted()
    {
        var lifecycle = new SessionLifecycle();
        var first = new ConnectionLostException("first");
        Assert.True(lifecycle.TryRecordFault(first));
        Assert.False(lifecycle.TryRecordFault(new ConnectionLostException("second")));
        Assert.True(lifecycle.TryBeginShutdown());
        lifecycle.End();
        Assert.Same(first, lifecycle.Fault);
        Assert.Equal(SessionState.Faulted, lifecycle.State);
    }

    [Fact]
    public void A_fault_after_the_shutdown_began_is_a_consequence_not_the_cause()
    {
        var lifecycle = new SessionLifecycle();
        Assert.True(lifecycle.TryBeginShutdown());
        Assert.False(lifecycle.TryRecordFault(new ConnectionLostException("cut off by the close")));
        Assert.False(lifecycle.TryBeginClose());
        lifecycle.End();
        Assert.Equal(SessionState.Closed, lifecycle.State);
    }
}
