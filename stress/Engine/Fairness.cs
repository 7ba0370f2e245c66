namespace Coord.Stress.Engine;

public static class Fairness
{
    /// <summary>
    /// Jain's fairness index, (Σx)² / (n·Σx²): 1 when every client got the same share, 1/n when one got everything.
    /// </summary>
    public static double JainIndex(IReadOnlyCollection<long> shares)
    {
        if (shares.Count == 0)
            return 0;
        double sum = 0, squares = 0;
        foreach (var x in shares)
        {
            sum += x;
            squares += (double)x * x;
        }
        return squares == 0 ? 0 : sum * sum / (shares.Count * squares);
    }
}
