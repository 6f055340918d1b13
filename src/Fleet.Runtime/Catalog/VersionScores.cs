using System.Collections.Concurrent;
using Fleet.Core.Signatures;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Scoring;
using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;

namespace Fleet.Runtime.Catalog;

/// <summary>
/// The score output of each version: resolved once at push (named in the metadata, or inferred from the graph by
/// <see cref="ScoreOutputRule"/>), looked up by the prediction path, and read off a prediction's outputs.
/// </summary>
internal sealed class VersionScores(IModelCatalog catalog)
{
    private readonly ConcurrentDictionary<(string Model, string Version), Task<VersionInfo?>> _known = new();

    /// <summary>The score of a pushed model; a 400 naming the problem when the metadata names an output that cannot be one.</summary>
    public static VersionScore? Resolve(byte[] onnx, VersionSignature signature, VersionMetadata? metadata)
    {
        var echoes = OnnxInputEchoes.Find(onnx);
        var outputs = signature.Outputs
            .Select(o => new OutputDescriptor(o.Name, OnnxTypes.IsOipDataType(o.DataType) ? o.DataType : null, o.Shape, echoes.ContainsKey(o.Name)))
            .ToList();
        if (metadata?.ScoreOutput is { } named)
        {
            var (score, problem) = ScoreOutputRule.Named(outputs, named, metadata.ScoreClass);
            return score is null ? throw new BadRequestException($"metadata: {problem}") : ToDto(score);
        }

        if (metadata?.ScoreClass is { } column)
        {
            throw new BadRequestException($"metadata: score_class {column} needs score_output naming the probability tensor it is a column of");
        }

        return ScoreOutputRule.Infer(outputs) is { } inferred ? ToDto(inferred) : null;
    }

    /// <summary>
    /// The recorded score of a version (null for versions pushed before Fleet recorded one: then the first numeric
    /// output). Versions are immutable, so the catalog is read once per version; after that the answer is synchronous.
    /// </summary>
    public ValueTask<VersionScore?> OfAsync(string model, string version)
    {
        var info = InfoAsync(model, version);
        return info.IsCompletedSuccessfully ? ValueTask.FromResult(info.Result?.Score) : ScoreAsync(info);
    }

    /// <summary>
    /// The version as pushed, or null when the catalog has none: read once per version and shared by the prediction path
    /// and the drift monitor. Only what a push fixes is read off it (signature, score, reference), never the metadata.
    /// </summary>
    public Task<VersionInfo?> InfoAsync(string model, string version)
    {
        // The hit, on every tracked prediction, allocates nothing: the read is only made on a miss.
        if (_known.TryGetValue((model, version), out var known) && known.IsCompletedSuccessfully)
        {
            return known;
        }

        var read = _known.GetOrAdd((model, version), key => ReadAsync(key.Model, key.Version));
        if (read.IsFaulted || read.IsCanceled)
        {
            _known.TryRemove(new KeyValuePair<(string, string), Task<VersionInfo?>>((model, version), read));
        }

        return read;
    }

    private static async ValueTask<VersionScore?> ScoreAsync(Task<VersionInfo?> info) => (await info)?.Score;

    private async Task<VersionInfo?> ReadAsync(string model, string version) =>
        await catalog.FindVersionsAsync(model, version, 1) is [var info] ? info : null;

    /// <summary>The outputs to compute for a caller asking for <paramref name="requested"/>: those plus the score, so a filter never blinds the gates.</summary>
    public static IReadOnlyList<string>? WithScore(IReadOnlyList<string>? requested, VersionScore? score) =>
        requested is null || score is null || requested.Contains(score.Output) ? requested : [.. requested, score.Output];

    /// <summary>The score of the first row of a prediction, or null when the outputs do not carry it.</summary>
    public static double? Read(IReadOnlyList<Tensor> outputs, VersionScore? score)
    {
        if (score is null)
        {
            return PrimaryOutput.Of(outputs);
        }

        var tensor = outputs.FirstOrDefault(t => t.Name == score.Output);
        if (tensor is null || tensor.Data.Length == 0)
        {
            return null;
        }

        var width = tensor.Shape.Length >= 2 ? (int)Math.Min(tensor.Shape[^1], tensor.Data.Length) : 1;
        if (score.Column is { } column)
        {
            return column < width ? Element(tensor, column) : null;
        }

        if (!score.PredictedClass)
        {
            return Element(tensor, 0);
        }

        if (width == 2)
        {
            return Element(tensor, 1);
        }

        double? best = null;
        for (var i = 0; i < width; i++)
        {
            var value = Element(tensor, i);
            best = best is null || value > best ? value : best;
        }

        return best;
    }

    /// <summary>
    /// The score of every row of a batch, read as <see cref="Read"/> reads the first: null for a single row, for a
    /// version without a recorded score, or when a row does not carry it.
    /// </summary>
    public static double[]? ReadRows(IReadOnlyList<Tensor> outputs, VersionScore? score)
    {
        var tensor = score is null ? null : outputs.FirstOrDefault(t => t.Name == score.Output);
        if (tensor is null || tensor.Shape.Length == 0 || tensor.Shape[0] <= 1 || tensor.Data.Length % tensor.Shape[0] != 0)
        {
            return null;
        }

        var rows = (int)tensor.Shape[0];
        var stride = tensor.Data.Length / rows;
        var width = tensor.Shape.Length >= 2 ? (int)Math.Min(tensor.Shape[^1], stride) : 1;
        var scores = new double[rows];
        for (var row = 0; row < rows; row++)
        {
            var offset = row * stride;
            double? value = score!.Column is { } column ? (column < width ? Element(tensor, offset + column) : null)
                : !score.PredictedClass ? Element(tensor, offset)
                : width == 2 ? Element(tensor, offset + 1)
                : Enumerable.Range(0, width).Max(i => Element(tensor, offset + i));
            if (value is not { } v)
            {
                return null;
            }

            scores[row] = v;
        }

        return scores;
    }

    /// <summary>The outputs the caller asked for, without one added for the score.</summary>
    public static IReadOnlyList<Tensor> AsRequested(IReadOnlyList<Tensor> outputs, IReadOnlyList<string>? requested) =>
        requested is null || outputs.Count == requested.Count ? outputs : [.. outputs.Where(t => requested.Contains(t.Name))];

    private static double? Element(Tensor tensor, int index) => tensor.NumberAt(index);

    private static VersionScore ToDto(ScoreOutput score) =>
        new(score.Output, score.Column, score.LabelOutput, score.PredictedClass, score.Named ? "metadata" : "inferred");
}
