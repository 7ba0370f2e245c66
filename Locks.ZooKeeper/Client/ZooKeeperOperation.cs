namespace Coord.Locks.ZooKeeper.Client;

/// <summary>One step of a <see cref="ZooKeeperClient.MultiAsync"/> transaction: all steps apply, or none.</summary>
internal sealed class ZooKeeperOperation
{
    private ZooKeeperOperation(int opCode, string path, byte[]? data, ZooKeeperCreateMode mode, int version)
    {
        ZooKeeperPaths.Validate(path, sequential: mode is ZooKeeperCreateMode.PersistentSequential or ZooKeeperCreateMode.EphemeralSequential);
        OpCode = opCode;
        Path = path;
        Data = data;
        Mode = mode;
        Version = version;
    }

    public string Path { get; }
    internal int OpCode { get; }
    internal byte[]? Data { get; }
    internal ZooKeeperCreateMode Mode { get; }
    internal int Version { get; }

    public static ZooKeeperOperation Create(string path, byte[]? data, ZooKeeperCreateMode mode)
        => new(mode == ZooKeeperCreateMode.Container ? ZooKeeperOpCodes.CreateContainer : ZooKeeperOpCodes.Create, path, data, mode, -1);

    /// <summary>Deletes <paramref name="path"/> if its version matches (-1: any version).</summary>
    public static ZooKeeperOperation Delete(string path, int version = -1) => new(ZooKeeperOpCodes.Delete, path, null, default, version);

    /// <summary>Replaces <paramref name="path"/>'s data if its version matches (-1: any version).</summary>
    public static ZooKeeperOperation SetData(string path, byte[] data, int version = -1) => new(ZooKeeperOpCodes.SetData, path, data, default, version);

    /// <summary>Fails the whole transaction unless <paramref name="path"/> exists with <paramref name="version"/> (-1: any version).</summary>
    public static ZooKeeperOperation Check(string path, int version = -1) => new(ZooKeeperOpCodes.Check, path, null, default, version);

    internal void WriteBody(JuteWriter writer)
    {
        writer.WriteString(Path);
        switch (OpCode)
        {
            case ZooKeeperOpCodes.Create or ZooKeeperOpCodes.CreateContainer:
                writer.WriteBuffer(Data ?? []);
                writer.WriteOpenAcl();
                writer.WriteInt((int)Mode);
                break;
            case ZooKeeperOpCodes.SetData:
                writer.WriteBuffer(Data ?? []);
                writer.WriteInt(Version);
                break;
            default:
                writer.WriteInt(Version);
                break;
        }
    }
}
