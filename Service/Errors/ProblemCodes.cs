namespace Coord.Service.Errors;

/// <summary>The <c>code</c> values of problem responses; clients may switch on them.</summary>
public static class ProblemCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidJson = "invalid_json";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string BodyTooLarge = "body_too_large";
    public const string Unauthorized = "unauthorized";
    public const string UnknownBackend = "unknown_backend";
    public const string LockHeld = "lock_held";
    public const string NotHolder = "not_holder";
    public const string LockConflict = "lock_conflict";
    public const string AttemptCancelled = "attempt_cancelled";
    public const string SemaphoreFull = "semaphore_full";
    public const string CountMismatch = "count_mismatch";
    public const string NotElected = "not_elected";
    public const string BackendUnavailable = "backend_unavailable";
    public const string NotSupported = "not_supported";
    public const string UnknownTag = "unknown_tag";
    public const string IdsUnavailable = "ids_unavailable";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string NotReady = "not_ready";
    public const string Internal = "internal_error";
}
