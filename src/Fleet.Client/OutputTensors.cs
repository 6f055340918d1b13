using System.Text.Json;
using Fleet.Contracts.Inference;

namespace Fleet.Client;

/// <summary>Reads an output tensor of a response into .NET arrays, flat or shaped [rows, columns].</summary>
public static class OutputTensors
{
    /// <summary>The output's values as 32-bit floats, row-major (nested data is flattened).</summary>
    public static float[] AsFloats(this InferOutput output) => Flat(output).Select(e => e.GetSingle()).ToArray();

    /// <summary>The output as a [rows, columns] matrix of 32-bit floats (a [n] output is one column).</summary>
    public static float[,] AsFloatMatrix(this InferOutput output)
    {
        var values = output.AsFloats();
        var (rows, columns) = RowsAndColumns(output, values.Length);
        var matrix = new float[rows, columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                matrix[r, c] = values[(r * columns) + c];
            }
        }

        return matrix;
    }

    private static (int Rows, int Columns) RowsAndColumns(InferOutput output, int count)
    {
        var shape = output.Shape;
        if (shape.Count == 0 || shape.Count > 2)
        {
            throw new InvalidOperationException($"the output '{output.Name}' has shape [{string.Join(',', shape)}]: a matrix needs one or two dimensions");
        }

        var rows = checked((int)shape[0]);
        var columns = shape.Count == 2 ? checked((int)shape[1]) : 1;
        if ((long)rows * columns != count)
        {
            throw new InvalidOperationException($"the output '{output.Name}' has shape [{string.Join(',', shape)}] but {count} values");
        }

        return (rows, columns);
    }

    private static IEnumerable<JsonElement> Flat(InferOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return Flatten(output.Data);
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement data) =>
        data.ValueKind == JsonValueKind.Array ? data.EnumerateArray().SelectMany(Flatten) : [data];
}
