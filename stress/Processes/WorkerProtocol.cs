using Coord.Stress.Engine;

namespace Coord.Stress.Processes;

/// <summary>
/// The lines a worker prints on standard output for its parent, and the binary file of its critical
/// sections. Standard input carries one line from the parent: <see cref="Go"/>.
/// </summary>
public static class WorkerProtocol
{
    public const string Ready = "READY";
    public const string Go = "GO";
    public const string Hold = "HOLD";
    public const string Free = "FREE";
    public const string Progress = "PROGRESS";
    public const string Done = "DONE";

    public static void WriteIntervals(string path, IReadOnlyCollection<HoldInterval> intervals)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(intervals.Count);
        foreach (var i in intervals)
        {
            writer.Write(i.Client);
            writer.Write(i.NameIndex);
            writer.Write(i.WaitStarted);
            writer.Write(i.Acquired);
            writer.Write(i.Released);
            writer.Write(i.Fence);
        }
    }

    public static List<HoldInterval> ReadIntervals(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var count = reader.ReadInt32();
        var list = new List<HoldInterval>(count);
        for (var n = 0; n < count; n++)
            list.Add(new HoldInterval(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64()));
        return list;
    }
}
