using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>The SDK's options record and typed tensors, against a real server.</summary>
public sealed class SdkPredictOptionsTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private static readonly float[] Weights = [0.8f, -0.4f];

    [Fact]
    public async Task A_matrix_goes_in_as_one_row_per_request_row_and_the_output_comes_back_as_a_matrix()
    {
        var (model, version) = await DeployAsync("sdk-matrix", 0.1f);
        float[,] rows = { { 1, 2 }, { 3, -4 }, { 0, 0 } };

        var response = await server.Client.PredictAsync(model, null, [Tensor.FromArray("x", rows)]);

        Assert.Equal(version, response.ModelVersion);
        var output = response.Output("probability");
        var matrix = output.AsFloatMatrix();
        Assert.Equal(3, matrix.GetLength(0));
        Assert.Equal(1, matrix.GetLength(1));
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [rows[r, 0], rows[r, 1]]), matrix[r, 0], 1e-5f);
        }

        Assert.Equal([matrix[0, 0], matrix[1, 0], matrix[2, 0]], output.AsFloats());
    }

    [Fact]
    public async Task Options_carry_the_id_the_outputs_the_routing_key_and_a_pinned_version()
    {
        var (model, stable) = await DeployAsync("sdk-options", 0.2f);
        var other = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.9f))).Version.Version;
        float[,] row = { { 1, 2 } };

        var pinned = await server.Client.PredictAsync(model, null, [Tensor.FromArray("x", row)],
            new PredictOptions { Id = "request-7", Outputs = ["probability"], RoutingKey = "user-1", Version = other });
        var plain = await server.Client.PredictAsync(model, null, [Tensor.FromArray("x", row)], PredictOptions.None);

        Assert.Equal(other, pinned.ModelVersion);
        Assert.Equal("request-7", pinned.Id);
        Assert.Equal(["probability"], pinned.Outputs.Select(o => o.Name));
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.9f, [1, 2]), pinned.Output("probability").AsFloats()[0], 1e-5f);
        Assert.Equal(stable, plain.ModelVersion);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.2f, [1, 2]), plain.Output("probability").AsFloats()[0], 1e-5f);
    }

    [Fact]
    public async Task Model_metadata_names_the_inputs_of_a_slices_stable_version()
    {
        var (model, _) = await DeployAsync("sdk-metadata", 0.3f);

        var metadata = await server.Client.GetModelMetadataAsync(model);

        var input = Assert.Single(metadata.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(DataTypes.Fp32, input.DataType);
        Assert.Equal(2, input.Shape[^1]);
    }

    [Fact]
    public void Tensors_take_the_shape_of_their_array_and_its_values_in_row_major_order()
    {
        var matrix = Tensor.FromArray("m", new long[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var column = Tensor.Column("c", 1.5f, 2.5f);
        var words = Tensor.FromArray("w", ["a", "b"]);

        Assert.Equal(DataTypes.Int64, matrix.DataType);
        Assert.Equal([2L, 3L], matrix.Shape);
        Assert.Equal([1L, 2, 3, 4, 5, 6], (long[])matrix.Data);
        Assert.Equal(DataTypes.Fp32, column.DataType);
        Assert.Equal([2L, 1L], column.Shape);
        Assert.Equal([1.5f, 2.5f], (float[])column.Data);
        Assert.Equal(DataTypes.Bytes, words.DataType);
        Assert.Equal([2L], words.Shape);
    }

    [Fact]
    public void Outputs_read_nested_data_flat_and_refuse_a_shape_that_does_not_match_the_values()
    {
        using var nested = JsonDocument.Parse("[[1.5, 2.5], [3.5, 4.5]]");
        var output = new InferOutput("y", DataTypes.Fp32, [2, 2], nested.RootElement.Clone());
        var wrong = output with { Shape = [3, 2] };

        Assert.Equal([1.5f, 2.5f, 3.5f, 4.5f], output.AsFloats());
        Assert.Equal(4.5f, output.AsFloatMatrix()[1, 1]);
        var error = Assert.Throws<InvalidOperationException>(() => wrong.AsFloatMatrix());
        Assert.Contains("[3,2] but 4 values", error.Message);
    }

    private async Task<(string Model, string Version)> DeployAsync(string prefix, float bias)
    {
        var model = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        var version = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, bias))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version });
        return (model, version);
    }
}
