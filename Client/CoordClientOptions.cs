using Coord.Locks;

namespace Coord.Client;

/// <summary>
/// Where the Coord service lives and how to talk to it. The lock settings inherited from
/// <see cref="LockOptions"/> mean what they mean for every backend; <see cref="LockOptions.ConnectTimeout"/>
/// bounds each HTTP call beyond the wait it asks the service for.
/// </summary>
public sealed class CoordClientOptions : LockOptions
{
    /// <summary>The longest wait the service grants one acquire request (its default <c>Coord:Limits:MaxWait</c>).</summary>
    public static readonly TimeSpan DefaultMaxWaitPerRequest = TimeSpan.FromSeconds(30);

    /// <summary>Most ids one request may ask for, whatever the service allows (its <c>Coord:Limits:MaxCount</c> goes no higher).</summary>
    public const int MaximumIdBatchSize = 1_000_000;

    /// <summary>The service, e.g. <c>https://coord.internal:8080/</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer &lt;key&gt;</c>; null sends none (a service without keys, on loopback).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The service's lock backend to use (<c>?backend=</c>); null uses the service's default.</summary>
    public string? Backend { get; set; }

    /// <summary>
    /// The longest wait one acquire request asks for; longer waits ask again. Keep it at or below the
    /// service's <c>Coord:Limits:MaxWait</c> (default 30 s).
    /// </summary>
    public TimeSpan MaxWaitPerRequest { get; set; } = DefaultMaxWaitPerRequest;

    /// <summary>The service's <c>Coord:Limits:MinTtl</c> (default 1 s): shorter leases are refused here, before any request.</summary>
    public TimeSpan MinTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The service's <c>Coord:Limits:MaxTtl</c> (default 1 h): longer leases are refused here, before any request.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often a safe request (status, renew, release, ids) is sent again after a 503, a 429 or a failed
    /// connection, waiting as <c>Retry-After</c> says or with jittered backoff. Acquire is never sent twice. Default 2.
    /// </summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First backoff between retries when the service gives no <c>Retry-After</c>; it doubles, with jitter. Default 100 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most ids one prefetch asks for (the service's <c>Coord:Limits:MaxCount</c>, default 10,000). Batches start
    /// small and double while callers drain them quickly, up to this.
    /// </summary>
    public int MaxIdBatchSize { get; set; } = 10_000;

    /// <summary>Ids the first prefetch of a generator asks for. Default 256.</summary>
    public int InitialIdBatchSize { get; set; } = 256;

    public override void Validate()
    {
        base.Validate();
        if (BaseAddress is null)
            throw new ArgumentException($"{nameof(BaseAddress)} is required: the Coord service's address, such as http://127.0.0.1:8080/.", nameof(BaseAddress));
        if (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{nameof(BaseAddress)} must be an absolute http:// or https:// address; it was '{BaseAddress}'.", nameof(BaseAddress));
        if (!string.IsNullOrEmpty(BaseAddress.Query) || !string.IsNullOrEmpty(BaseAddress.Fragment))
            throw new ArgumentException($"{nameof(BaseAddress)} may not have a query or fragment; it was '{BaseAddress}'. Choose the service's lock backend with {nameof(Backend)}.", nameof(BaseAddress));
        if (ApiKey is not null && (ApiKey.Length == 0 || ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw new ArgumentException($"{nameof(ApiKey)} must be a non-empty key without spaces or control characters (or null to send none).", nameof(ApiKey));
        if (Backend is not null && (Backend.Length is 0 or > 64 || !Backend.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException($"{nameof(Backend)} must be a service backend name: 1 to 64 ASCII letters, digits, '-' or '_' (or null for the service's default); it was '{Backend}'.", nameof(Backend));
        if (MaxWaitPerRequest <= TimeSpan.Zero || MaxWaitPerRequest > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{nameof(MaxWaitPerRequest)} must be more than 0 and at most 10 minutes (the service's own bound); it was {MaxWaitPerRequest}.", nameof(MaxWaitPerRequest));
        if (MinTtl < MinimumTtl || MinTtl > MaxTtl || MaxTtl > MaximumTtl)
            throw new ArgumentException($"{nameof(MinTtl)} and {nameof(MaxTtl)} must satisfy {MinimumTtl.TotalMilliseconds:0} ms <= {nameof(MinTtl)} <= {nameof(MaxTtl)} <= 1 day; they were {MinTtl} and {MaxTtl}.", nameof(MinTtl));
        if (DefaultTtl < MinTtl || DefaultTtl > MaxTtl)
            throw new ArgumentException($"{nameof(DefaultTtl)} must lie between {nameof(MinTtl)} ({MinTtl}) and {nameof(MaxTtl)} ({MaxTtl}); it was {DefaultTtl}.", nameof(DefaultTtl));
        if (MaxRetries is < 0 or > 10)
            throw new ArgumentException($"{nameof(MaxRetries)} must be between 0 and 10; it was {MaxRetries}.", nameof(MaxRetries));
        if (RetryDelay <= TimeSpan.Zero || RetryDelay > TimeSpan.FromSeconds(30))
            throw new ArgumentException($"{nameof(RetryDelay)} must be more than 0 and at most 30 s; it was {RetryDelay}.", nameof(RetryDelay));
        if (MaxIdBatchSize is < 1 or > MaximumIdBatchSize)
            throw new ArgumentException($"{nameof(MaxIdBatchSize)} must be between 1 and {MaximumIdBatchSize:N0}; it was {MaxIdBatchSize}.", nameof(MaxIdBatchSize));
        if (InitialIdBatchSize < 1 || InitialIdBatchSize > MaxIdBatchSize)
            throw new ArgumentException($"{nameof(InitialIdBatchSize)} must be between 1 and {nameof(MaxIdBatchSize)} ({MaxIdBatchSize}); it was {InitialIdBatchSize}.", nameof(InitialIdBatchSize));
    }
}
