namespace Coord.Ids.Segment;

/// <summary>Settings of a <see cref="SegmentIdGenerator"/>.</summary>
public sealed class SegmentIdOptions
{
    /// <summary>Longest tag name, in characters (the width of Leaf's <c>biz_tag</c>).</summary>
    public const int MaxTagLength = 128;

    /// <summary>Create an unknown tag on first use (max_id 1, <see cref="InitialStep"/>) instead of failing.</summary>
    public bool AutoCreateTags { get; set; }

    /// <summary>Most tags one generator creates on first use (1 to 1,000,000; default 1,000); past it an unknown tag is refused with <see cref="SegmentTagLimitReachedException"/>.</summary>
    public int MaxAutoCreatedTags { get; set; } = 1_000;

    /// <summary>The stored step of auto-created tags (at least 1; default 1,000).</summary>
    public int InitialStep { get; set; } = 1_000;

    /// <summary>Upper bound of the adaptive step (default 1,000,000, as in Leaf). The lower bound is the tag's stored step. At least <see cref="InitialStep"/>.</summary>
    public int MaxStep { get; set; } = 1_000_000;

    /// <summary>Fraction of the current segment used before the next one is loaded in the background: more than 0 and less than 1; default 0.1.</summary>
    public double PreloadThreshold { get; set; } = 0.1;

    /// <summary>A segment that drains faster than this doubles the next step (default 15 min).</summary>
    public TimeSpan GrowWhenDrainedWithin { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A segment that lasts longer than this halves the next step (default 30 min).</summary>
    public TimeSpan ShrinkWhenLastingOver { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Checks every setting; called by the generator and at registration.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message says what is allowed.</exception>
    /// <exception cref="ArgumentException"><see cref="GrowWhenDrainedWithin"/> is not positive or exceeds <see cref="ShrinkWhenLastingOver"/>.</exception>
    public void Validate()
    {
        if (MaxAutoCreatedTags is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(MaxAutoCreatedTags), MaxAutoCreatedTags, "MaxAutoCreatedTags must be between 1 and 1,000,000.");
        if (InitialStep < 1)
            throw new ArgumentOutOfRangeException(nameof(InitialStep), InitialStep, "InitialStep must be at least 1.");
        if (MaxStep < InitialStep)
            throw new ArgumentOutOfRangeException(nameof(MaxStep), MaxStep, "MaxStep must be at least InitialStep.");
        if (PreloadThreshold is <= 0 or >= 1 || double.IsNaN(PreloadThreshold))
            throw new ArgumentOutOfRangeException(nameof(PreloadThreshold), PreloadThreshold, "PreloadThreshold must be between 0 and 1, exclusive.");
        if (GrowWhenDrainedWithin <= TimeSpan.Zero || ShrinkWhenLastingOver < GrowWhenDrainedWithin)
            throw new ArgumentException("GrowWhenDrainedWithin must be positive and no longer than ShrinkWhenLastingOver.");
    }

    internal static void ValidateTag(string tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > MaxTagLength)
            throw new ArgumentException($"A segment tag must be 1 to {MaxTagLength} characters (Leaf's biz_tag), not {(tag is null ? "null" : $"{tag.Length} characters")}.", nameof(tag));
    }
}
