namespace Coord.Ids;

/// <summary>
/// Issues unique identifiers of type <typeparamref name="T"/> from local state, without waiting on a
/// network (Snowflake, UUID). Generators are thread-safe. Segment ids come from a store and are
/// therefore async: see <see cref="Segment.ISegmentIdGenerator"/>.
/// </summary>
public interface IIdGenerator<T>
{
    /// <summary>Issues one identifier.</summary>
    T Next();

    /// <summary>
    /// Fills <paramref name="destination"/> with identifiers, in issue order. Cheaper than one call
    /// per id because the generator's state is taken once.
    /// </summary>
    void Next(Span<T> destination);
}
