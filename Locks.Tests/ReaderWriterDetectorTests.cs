namespace Coord.Locks.Tests;

/// <summary>The reader-writer contract's detector catches what it must (and nothing else), so a pass there means something.</summary>
public sealed class ReaderWriterDetectorTests
{
    [Fact]
    public void Readers_together_are_no_violation_and_are_counted()
    {
        var section = new ReaderWriterDetector();
        section.EnterRead();
        section.EnterRead();
        section.LeaveRead();
        section.LeaveRead();
        section.EnterWrite();
        section.LeaveWrite();
        Assert.Equal(0, section.Violations);
        Assert.Equal(2, section.MostReadersInside);
    }

    [Fact]
    public void A_writer_beside_a_reader_or_a_writer_is_caught_from_either_side()
    {
        var section = new ReaderWriterDetector();
        section.EnterRead();
        section.EnterWrite();
        Assert.Equal(1, section.Violations);
        section.LeaveRead();
        section.EnterWrite();
        Assert.Equal(2, section.Violations);
        section.EnterRead();
        Assert.Equal(3, section.Violations);
    }
}
