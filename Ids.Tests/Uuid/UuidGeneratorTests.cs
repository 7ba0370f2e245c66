using Coord.Ids.Uuid;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.Uuid;

public sealed class UuidGeneratorTests
{
    [Fact]
    public void A_million_v7_uuids_in_a_tight_loop_strictly_increase_in_byte_order()
    {
        var generator = new UuidV7Generator();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var previous = new byte[16];
        var current = new byte[16];
        for (var i = 0; i < 1_000_000; i++)
        {
            var uuid = generator.Next();
            Assert.True(uuid.TryWriteBytes(current, bigEndian: true, out _));
            if (i > 0 && current.AsSpan().SequenceCompareTo(previous) <= 0)
                Assert.Fail($"uuid #{i} {uuid} is not above the previous one");
            (previous, current) = (current, previous);
        }
        var last = new Guid(previous, bigEndian: true);
        Assert.Equal(7, last.Version);
        Assert.InRange(UnixMs(last), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void V7_stays_increasing_on_a_frozen_clock_and_when_the_clock_goes_back()
    {
        var start = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var generator = new UuidV7Generator(time);
        var batch = new Guid[10_000];
        generator.Next(batch);
        time.AdjustTime(start.AddSeconds(-5));
        var after = new Guid[10_000];
        generator.Next(after);

        var all = batch.Concat(after).Select(g => g.ToByteArray(bigEndian: true)).ToList();
        for (var i = 1; i < all.Count; i++)
            Assert.True(all[i].AsSpan().SequenceCompareTo(all[i - 1]) > 0, $"uuid #{i} is not above the previous one");
        // A frozen clock does not stop the timestamp field from being the clock's millisecond.
        Assert.Equal(start.ToUnixTimeMilliseconds(), UnixMs(batch[^1]));
        Assert.Equal(start.ToUnixTimeMilliseconds(), UnixMs(after[^1])); // never goes back
    }

    [Fact]
    public void V7_sets_version_and_variant_and_matches_the_rfc_field_layout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(0x0197_1234_5678));
        var uuid = new UuidV7Generator(time).Next();
        var bytes = uuid.ToByteArray(bigEndian: true);
        Assert.Equal("019712345678", Convert.ToHexString(bytes, 0, 6));
        Assert.Equal(0x70, bytes[6] & 0xF0);
        Assert.Equal(0x80, bytes[8] & 0xC0);
        Assert.StartsWith("01971234-5678-7", uuid.ToString());
    }

    [Fact]
    public void V4_sets_version_and_variant_and_does_not_repeat()
    {
        var generator = new UuidV4Generator();
        var uuids = new Guid[200_000];
        generator.Next(uuids);
        Assert.All(uuids.Take(1000), u =>
        {
            Assert.Equal(4, u.Version);
            Assert.Equal(0x80, u.ToByteArray(bigEndian: true)[8] & 0xC0);
        });
        Assert.Equal(uuids.Length, uuids.Distinct().Count());
        // 122 random bits: every bit position outside version and variant takes both values.
        var ones = new int[128];
        foreach (var u in uuids.Take(1000))
        {
            var b = u.ToByteArray(bigEndian: true);
            for (var bit = 0; bit < 128; bit++)
                ones[bit] += (b[bit / 8] >> (7 - bit % 8)) & 1;
        }
        var fixedBits = new[] { 48, 49, 50, 51, 64, 65 };
        Assert.All(Enumerable.Range(0, 128).Except(fixedBits), bit => Assert.InRange(ones[bit], 350, 650));
    }

    internal static long UnixMs(Guid uuid)
    {
        var b = uuid.ToByteArray(bigEndian: true);
        return ((long)b[0] << 40) | ((long)b[1] << 32) | ((long)b[2] << 24) | ((long)b[3] << 16) | ((long)b[4] << 8) | b[5];
    }
}
