namespace Coord.Service.Ids;

/// <summary>The ID generators this instance serves. Wired once Coord.Ids has its generators.</summary>
public static class IdServices
{
    public const string DevModeSummary = "no ID generators yet";
    public const string Summary = "no ID generators yet";
}
