using System.Globalization;
using System.Net;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Ids;

/// <summary>
/// The wall clock of a real service process stepped back (libfaketime) while ids are requested, as an
/// NTP step or a VM resumed from a snapshot would. Each test checks first that the step reached the
/// process: an id issued after it decodes to a timestamp that far behind this test's clock.
/// </summary>
public sealed class ClockStepProcessTests
{
    [Fact]
    public async Task With_rollback_bits_ids_keep_flowing_unique_through_a_1_s_and_a_10_min_step_back_under_load()
    {
        // Four rollback bits rather than the default two: while the offset file is replaced, libfaketime can show a
        // thread under this concurrent load the old offset for an instant after another saw the new one, and each such
        // flip spends a counter value. The default's limits are shown by the sequential test below.
        await using var service = await FakeTimeServiceProcess.StartAsync("--Coord:Ids:Snowflake:Layout:RollbackBits=4");
        await using var load = IdLoad.Start(service.Client);
        await load.WaitForMoreAsync();

        await service.SetClockOffsetAsync(TimeSpan.FromSeconds(-1));
        var afterOneSecond = await DecodeNewIdAsync(service.Client);
        AssertBehindRealTime(afterOneSecond, TimeSpan.FromSeconds(1));
        // No exact counter here: a clean-clone run once read 0 after this step (a step that lands within the
        // generator's wait bound of its last id is waited out, not switched), so only the 10 min step's switch is asserted.
        await load.WaitForMoreAsync();

        await service.SetClockOffsetAsync(TimeSpan.FromSeconds(-601));
        var afterTenMinutes = await DecodeNewIdAsync(service.Client);
        AssertBehindRealTime(afterTenMinutes, TimeSpan.FromSeconds(601));
        // Another counter than after the first step: its exact value also counts any step libfaketime showed the
        // process while the offset file was replaced, so only the switch is asserted.
        Assert.NotEqual(afterOneSecond.GetProperty("rollbackCounter").GetInt32(), afterTenMinutes.GetProperty("rollbackCounter").GetInt32());
        await load.WaitForMoreAsync();

        var (snowflakes, uuids) = await load.StopAsync();
        Assert.Equal(snowflakes.Count, snowflakes.Distinct().Count());
        Assert.Equal(uuids.Order(StringComparer.Ordinal), uuids); // UUID v7 keeps its order through the steps
        Assert.Equal(uuids.Count, uuids.Distinct().Count());
    }

    [Fact]
    public async Task The_default_layout_survives_three_outstanding_steps_back_and_refuses_the_fourth_with_503()
    {
        await using var service = await FakeTimeServiceProcess.StartAsync();
        var issued = new List<string>();
        issued.AddRange(await SnowflakesAsync(service.Client));
        for (var step = 1; step <= 3; step++)
        {
            await service.SetClockOffsetAsync(TimeSpan.FromMinutes(-10 * step));
            issued.AddRange(await SnowflakesAsync(service.Client));
        }
        Assert.Equal(issued.Count, issued.Distinct().Count());

        await service.SetClockOffsetAsync(TimeSpan.FromMinutes(-40));
        using var refused = await service.Client.GetAsync("/v1/ids/snowflake");
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "ids_unavailable");
        Assert.Contains("all 4 rollback counter values have already issued ids", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_rollback_bits_a_1_s_step_back_is_a_clear_503_until_the_clock_catches_up_while_uuids_keep_their_order()
    {
        await using var service = await FakeTimeServiceProcess.StartAsync("--Coord:Ids:Snowflake:Layout:RollbackBits=0");
        var before = await SnowflakesAsync(service.Client);
        var uuidsBefore = await UuidsAsync(service.Client);

        await service.SetClockOffsetAsync(TimeSpan.FromSeconds(-1));
        using (var refused = await service.Client.GetAsync("/v1/ids/snowflake"))
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "ids_unavailable");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("The clock moved backwards by", detail, StringComparison.Ordinal);
            Assert.Contains("has no rollback bits", detail, StringComparison.Ordinal);
        }
        var uuidsDuring = await UuidsAsync(service.Client);
        Assert.True(string.CompareOrdinal(uuidsDuring[0], uuidsBefore[^1]) > 0, "UUID v7 went backwards with the clock");

        await service.SetClockOffsetAsync(TimeSpan.Zero);
        var after = await SnowflakesAsync(service.Client);
        Assert.True(long.Parse(after[0], CultureInfo.InvariantCulture) > long.Parse(before[^1], CultureInfo.InvariantCulture));
    }

    private static void AssertBehindRealTime(JsonElement decoded, TimeSpan behind)
    {
        var lag = DateTimeOffset.UtcNow - decoded.GetProperty("timestamp").GetDateTimeOffset();
        Assert.InRange(lag, behind - TimeSpan.FromSeconds(1), behind + TimeSpan.FromSeconds(5));
    }

    private static async Task<JsonElement> DecodeNewIdAsync(HttpClient client)
    {
        var id = (await SnowflakesAsync(client))[0];
        using var response = await client.GetAsync($"/v1/ids/snowflake/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    internal static Task<List<string>> SnowflakesAsync(HttpClient client, int count = 100) => IdsAsync(client, $"/v1/ids/snowflake?count={count}");

    internal static Task<List<string>> UuidsAsync(HttpClient client, int count = 100) => IdsAsync(client, $"/v1/ids/uuid?count={count}");

    private static async Task<List<string>> IdsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToList();
    }
}
