using System.Globalization;
using System.Net;
using System.Text;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Parquet;
using Parquet.Schema;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>A reference data set given at push: checked against the signature, and drift's reference from the first served request.</summary>
public sealed class ReferenceDataTests(ReferenceDataTests.Server server) : IClassFixture<ReferenceDataTests.Server>
{
    /// <summary>A server that samples every request for drift.</summary>
    public sealed class Server : FleetServerFixture
    {
        public override Task InitializeAsync()
        {
            Settings["Fleet:Drift:SampleRate"] = "1";
            return base.InitializeAsync();
        }
    }

    // Evenly spread values in [0, 1): every prefix looks like the whole.
    private static float U(int i) => (float)(i * 0.6180339887498949 % 1);

    private static string Csv(int rows, string header = "x[0],x[1],x[2]") =>
        header + "\n" + string.Join("\n", Enumerable.Range(0, rows).Select(i => string.Create(CultureInfo.InvariantCulture, $"{U(3 * i)},{U((3 * i) + 1)},{U((3 * i) + 2)}")));

    private async Task<PushResult> PushAsync(string model, byte[] onnx, byte[] reference, string name)
    {
        using var file = new MemoryStream(onnx);
        using var data = new MemoryStream(reference);
        return await server.Client.PushAsync(model, file, null, null, "model.onnx", data, name);
    }

    [Fact]
    public async Task A_version_pushed_with_its_training_sample_is_judged_against_it_from_the_first_request()
    {
        var model = UniqueModel("ref");
        var pushed = await PushAsync(model, Model(), Encoding.UTF8.GetBytes(Csv(200)), "train.csv");
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["store=1"] });
        for (var i = 0; i < 150; i++)
        {
            await server.Client.PredictAsync(model, "store=1", [X(U(3 * i) + 0.6f, U((3 * i) + 1), U((3 * i) + 2))]);
        }

        var drift = await Eventually.ReadAsync(() => server.Client.GetDriftAsync(model, "store=1"), d => d.WindowRows == 150);

        var reference = pushed.Version.Reference!;
        Assert.Equal(("csv", 200), (reference.Format, reference.Rows));
        Assert.Equal(["x[0]", "x[1]", "x[2]"], reference.Features);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Csv(200)))), reference.Sha256);
        Assert.Equal("push", drift.ReferenceSource);
        Assert.Equal(200, drift.ReferenceRows);
        Assert.Equal(0, drift.PendingRows);
        Assert.Equal("feature drift in x[0] (1 of 3 features judged)", drift.Message);
        Assert.Equal(reference.Sha256, (await server.Client.GetVersionAsync(model, pushed.Version.Version)).Reference!.Sha256);
    }

    [Fact]
    public async Task A_parquet_sample_is_read_as_well()
    {
        DataField[] fields = [new DataField<float>("x[0]"), new DataField<float>("x[1]"), new DataField<double>("x[2]")];
        using var file = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), file))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<float>(fields[0], Enumerable.Range(0, 60).Select(i => U(i)).ToArray());
            await group.WriteAsync<float>(fields[1], Enumerable.Range(0, 60).Select(i => U(i + 1)).ToArray());
            await group.WriteAsync<double>(fields[2], Enumerable.Range(0, 60).Select(i => (double)U(i + 2)).ToArray());
        }

        var pushed = await PushAsync(UniqueModel("refpq"), Model(0.2f), file.ToArray(), "train.parquet");

        Assert.Equal(("parquet", 60), (pushed.Version.Reference!.Format, pushed.Version.Reference.Rows));
    }

    [Fact]
    public async Task A_sample_that_does_not_match_the_signature_is_refused_naming_the_columns_and_nothing_is_stored()
    {
        var model = UniqueModel("refbad");
        using var form = PushForm(Model(0.3f));
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(Csv(50, "x[0],x[1],y"))), "reference", "train.csv");
        using var refused = await server.Http.PostAsync($"api/v1/models/{model}/versions", form);
        var again = await server.Client.PushAsync(model, Model(0.3f));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("lacks the column(s) 'x[2]' of the version's inputs, and has the column(s) 'y', which are not inputs", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(again.Created);
        Assert.Null(again.Version.Reference);
    }

    [Fact]
    public async Task The_cli_pushes_a_reference_file()
    {
        using var folder = new TempDirectory("fleet-reference");
        var onnx = Path.Combine(folder.Path, "model.onnx");
        var csv = Path.Combine(folder.Path, "train.csv");
        await File.WriteAllBytesAsync(onnx, Model(0.4f));
        await File.WriteAllTextAsync(csv, Csv(40));
        var model = UniqueModel("refcli");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, "push", model, onnx, "--reference", csv], output, error, _ => null);

        Assert.Equal(0, exit);
        Assert.Equal(40, (await server.Client.ListVersionsAsync(model)).Single().Reference!.Rows);
    }
}
