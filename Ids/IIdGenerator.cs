namespace Coord.Ids;

/// <summary>Issues unique identifiers of type <typeparamref name="T"/>.</summary>
public interface IIdGenerator<T>
{
    /// <summary>Issues one identifier.</summary>
    T Next();
}
