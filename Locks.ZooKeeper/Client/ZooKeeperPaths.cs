namespace Coord.Locks.ZooKeeper.Client;

/// <summary>The server's path rules (PathUtils.validatePath), checked before a request is sent.</summary>
internal static class ZooKeeperPaths
{
    public static void Validate(string path, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A sequential create may end in '/': the server appends the counter.
        var check = sequential ? path + "1" : path;
        var problem = Problem(check);
        if (problem is not null)
            throw new ArgumentException($"'{path}' is not a valid ZooKeeper path: {problem}. A path is '/' or '/'-separated names, starting with '/', without a trailing '/', empty names, '.' or '..', or control and private-use characters.", nameof(path));
    }

    private static string? Problem(string path)
    {
        if (path.Length == 0)
            return "it is empty";
        if (path[0] != '/')
            return "it does not start with '/'";
        if (path.Length == 1)
            return null;
        if (path[^1] == '/')
            return "it ends with '/'";
        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0)
                return "it has an empty name ('//')";
            if (segment is "." or "..")
                return "relative names '.' and '..' are not allowed";
        }
        foreach (var c in path)
        {
            if (c == '\0' || (c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
                || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff'))
                return $"character U+{(int)c:X4} is not allowed";
        }
        return null;
    }
}
