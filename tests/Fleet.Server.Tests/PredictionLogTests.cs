using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Runtime.PredictionLogs;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Parquet;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>The prediction log on a real server: sampled requests and answers land in Parquet files per model and day, read back exactly.</summary>
[Collection(OwnMetricsGroup.Name)]
public sealed class PredictionLogTests(PredictionLogTests.EveryRequest server) : IClassFixture<PredictionLogTests.EveryRequest>
{
    /// <summary>A server that logs every request (but a model set to 0) and writes every 200 ms.</summary>
    public sealed class EveryRequest : FleetServerFixture
    {
        public EveryRequest()
        {
            Settings["Fleet:PredictionLog:SampleRate"] = "1";
            Settings["Fleet:PredictionLog:ModelSampleRates:0"] = "plog-quiet=0";
            Settings["Fleet:PredictionLog:FlushInterval"] = "00:00:00.200";
        }
    }

    private PredictionLog Log => server.Services.GetRequiredService<PredictionLog>();

    private async Task<string> DeployedAsync(string model)
    {
        var version = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });
        return version;
    }

    private async Task<JsonElement> PredictAsync(string model, string id)
    {
        using var response = await server.Http.PostAsync($"v2/models/{model}@s=1/infer", new StringContent(
            $$"""{"id":"{{id}}","inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"data":[1,2,3,-1,0.5,0.25]}]}""", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<Dictionary<string, Array>> ReadAsync(string file)
    {
        await using var stream = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(stream);
        using var group = reader.OpenRowGroupReader(0);
        var rows = (int)group.RowCount;
        var columns = new Dictionary<string, Array>();
        foreach (var field in reader.Schema.DataFields)
        {
            if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
            {
                var values = new string?[rows];
                await group.ReadAsync(field, values.AsMemory());
                columns[field.Name] = values;
            }
            else if (field.ClrType == typeof(double))
            {
                var values = new double?[rows];
                await group.ReadAsync<double>(field, values.AsMemory());
                columns[field.Name] = values;
            }
            else if (field.ClrType == typeof(int))
            {
                var values = new int[rows];
                await group.ReadAsync<int>(field, values.AsMemory());
                columns[field.Name] = values;
            }
            else
            {
                var values = new DateTime[rows];
                await group.ReadAsync<DateTime>(field, values.AsMemory());
                columns[field.Name] = values;
            }
        }

        return columns;
    }

    private static string[] Texts(Array column) => [.. ((string?[])column).Select(t => t ?? "(null)")];

    private async Task<string[]> FilesAsync(string model, TimeSpan wait)
    {
        var folder = Path.Combine(Log.Root, $"model={model}", $"date={DateTime.UtcNow:yyyy-MM-dd}");
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.parquet") is { Length: > 0 } files)
            {
                return files;
            }

            await Task.Delay(100);
        }

        return [];
    }

    [Fact]
    public async Task A_logged_request_lands_in_a_parquet_file_of_its_model_and_day_with_its_inputs_and_answers()
    {
        var model = UniqueModel("plog");
        var version = await DeployedAsync(model);
        var answer = await PredictAsync(model, "order-42");

        var file = Assert.Single(await FilesAsync(model, TimeSpan.FromSeconds(20)));
        var columns = await ReadAsync(file);
        Assert.Equal(["time", "slice", "version", "role", "prediction_id", "row", "in.x[0]", "in.x[1]", "in.x[2]", "out.probability"], columns.Keys);
        Assert.Equal(["s=1", "s=1"], Texts(columns["slice"]));
        Assert.Equal([version, version], Texts(columns["version"]));
        Assert.Equal(["stable", "stable"], Texts(columns["role"]));
        Assert.Equal(["order-42", "order-42"], Texts(columns["prediction_id"]));
        Assert.Equal([0, 1], (int[])columns["row"]);
        Assert.Equal([1.0, -1.0], ((double?[])columns["in.x[0]"]).Select(v => v!.Value));
        Assert.Equal([3.0, 0.25], ((double?[])columns["in.x[2]"]).Select(v => v!.Value));
        var served = answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => (double)e.GetSingle());
        Assert.Equal(served, ((double?[])columns["out.probability"]).Select(v => v!.Value));
        var time = ((DateTime[])columns["time"])[0];
        Assert.InRange(DateTime.UtcNow - time, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_model_sampled_at_zero_is_not_logged_and_the_log_keeps_days_only_as_long_as_its_retention()
    {
        await DeployedAsync("plog-quiet");
        await PredictAsync("plog-quiet", "nobody");
        var loud = UniqueModel("plog");
        await DeployedAsync(loud);
        await PredictAsync(loud, "somebody");
        Assert.NotEmpty(await FilesAsync(loud, TimeSpan.FromSeconds(20)));
        await Log.FlushAsync();
        Assert.False(Directory.Exists(Path.Combine(Log.Root, "model=plog-quiet")));

        var old = Directory.CreateDirectory(Path.Combine(Log.Root, $"model={loud}", "date=2020-01-01"));
        File.WriteAllText(Path.Combine(old.FullName, "part.parquet"), "old");
        Log.Prune();
        Assert.False(Directory.Exists(old.FullName));
        Assert.NotEmpty(await FilesAsync(loud, TimeSpan.FromSeconds(1)));
    }
}

/// <summary>A full log buffer drops and counts; the predictions are served all the same.</summary>
[Collection(OwnMetricsGroup.Name)]
public sealed class PredictionLogBufferTests(PredictionLogBufferTests.TinyBuffer server) : IClassFixture<PredictionLogBufferTests.TinyBuffer>
{
    /// <summary>A server whose log buffer holds 10 values and writes once an hour.</summary>
    public sealed class TinyBuffer : FleetServerFixture
    {
        public TinyBuffer()
        {
            Settings["Fleet:PredictionLog:SampleRate"] = "1";
            Settings["Fleet:PredictionLog:MaxBufferedValues"] = "10";
            Settings["Fleet:PredictionLog:FlushInterval"] = "01:00:00";
        }
    }

    [Fact]
    public async Task A_full_buffer_drops_the_prediction_from_the_log_counts_it_and_never_fails_the_request()
    {
        var model = UniqueModel("plog-full");
        var version = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });
        for (var i = 0; i < 20; i++)
        {
            using var response = await server.Http.PostAsync($"v2/models/{model}@s=1/infer", new StringContent(
                """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""", Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }

        // One prediction is 1 row of 5 columns (x[0..2], probability, and the row itself): 10 values hold two.
        Assert.Equal(18, await MetricSumAsync(server.Http, "fleet_prediction_log_dropped_total", $"model=\"{model}\""));
    }
}
