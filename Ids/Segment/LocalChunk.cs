namespace Coord.Ids.Segment;

/// <summary>Ids <c>[Next, End)</c> one thread claimed from a segment and hands out without touching shared state.</summary>
internal sealed class LocalChunk
{
    public long Next;
    public long End;
}
