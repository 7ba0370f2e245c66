namespace Coord.Locks;

/// <summary>The single place where lock names and durations are checked, so every backend rejects the same input the same way.</summary>
internal static class LockValidation
{
    public const int MaximumNameLength = 256;
    public const int MaximumHolderTokenLength = 128;

    /// <summary>Checks a name of a lock (or of an election: <paramref name="subject"/>) against the one rule every backend keeps.</summary>
    /// <param name="name">The name to check.</param>
    /// <param name="parameter">The caller's parameter, for the exception.</param>
    /// <param name="subject">Whose name it is, as a message starts: "A lock", "An election".</param>
    public static void ValidateName(string name, string parameter = "name", string subject = "A lock")
    {
        if (name is null)
            throw new ArgumentNullException(parameter, $"{subject} name is required: 1 to 256 characters.");
        if (name.Length == 0 || name.Length > MaximumNameLength)
            throw new ArgumentException($"{subject} name must be 1 to {MaximumNameLength} characters; it had {name.Length}.", parameter);
        foreach (var c in name)
        {
            // Control characters break key layouts (ZooKeeper paths, log lines) and are never meant.
            if (char.IsControl(c))
                throw new ArgumentException($"{subject} name may not contain control characters (found U+{(int)c:X4}); letters, digits, punctuation, spaces and any non-ASCII text are allowed.", parameter);
        }
        if (!IsWellFormedUtf16(name))
            throw new ArgumentException($"{subject} name must be valid text (it contains a lone surrogate).", parameter);
    }

    public static TimeSpan ValidateTtl(TimeSpan ttl, string parameter = "ttl")
        => ValidateTtl(ttl, LockOptions.MinimumTtl, LockOptions.MaximumTtl, "", parameter);

    /// <summary>Checks <paramref name="ttl"/> against the range one backend can honour (within the library's own range).</summary>
    public static TimeSpan ValidateTtl(TimeSpan ttl, TimeSpan minimum, TimeSpan maximum, string backend, string parameter = "ttl", string noun = "lock")
    {
        if (ttl >= minimum && ttl <= maximum)
            return ttl;
        var on = backend.Length == 0 ? "" : $" on the {backend} backend";
        var why = ttl < LockOptions.MinimumTtl && ttl > TimeSpan.Zero ? " so that it can be renewed in time" : "";
        throw new ArgumentOutOfRangeException(parameter, ttl,
            $"A {noun} TTL{on} must be at least {Describe(minimum)} and at most {Describe(maximum)}{why}; it was {Describe(ttl)}.");
    }

    /// <summary>A duration as people write it (10 ms, 40 s, 1 day), for error messages.</summary>
    public static string Describe(TimeSpan span)
    {
        // TimeSpan.MinValue has no positive counterpart (Negate throws), so the most negative span is told in plain ms.
        if (span == TimeSpan.MinValue)
            return $"{span.TotalMilliseconds:0.###} ms";
        if (span < TimeSpan.Zero)
            return "-" + Describe(span.Negate());
        if (span.Ticks % TimeSpan.TicksPerDay == 0 && span.Ticks != 0)
            return span.TotalDays == 1 ? "1 day" : $"{span.TotalDays:0} days";
        if (span.Ticks % TimeSpan.TicksPerSecond == 0 && span.Ticks != 0)
            return $"{span.TotalSeconds:0} s";
        return $"{span.TotalMilliseconds:0.###} ms";
    }

    /// <summary>Null and <see cref="Timeout.InfiniteTimeSpan"/> both mean "wait until cancelled".</summary>
    public static TimeSpan? ValidateWait(TimeSpan? wait, string parameter = "wait")
    {
        if (wait is null || wait == Timeout.InfiniteTimeSpan)
            return null;
        if (wait < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(parameter, wait, $"A wait must be zero or more (or null / Timeout.InfiniteTimeSpan to wait until cancelled); it was {Describe(wait.Value)}.");
        if (wait > LockOptions.MaximumWait)
            throw new ArgumentOutOfRangeException(parameter, wait, $"A wait must be at most {Describe(LockOptions.MaximumWait)} (or null to wait until cancelled); it was {Describe(wait.Value)}.");
        return wait;
    }

    public static void ValidateHolderToken(string holderToken, string parameter = "holderToken")
    {
        if (string.IsNullOrEmpty(holderToken))
            throw new ArgumentException("A holder token is required: the value returned when the lock was acquired.", parameter);
        if (holderToken.Length > MaximumHolderTokenLength)
            throw new ArgumentException($"A holder token is at most {MaximumHolderTokenLength} characters; it had {holderToken.Length}.", parameter);
    }

    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                    return false;
                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }
        return true;
    }
}
