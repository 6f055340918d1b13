using Fleet.Core.Tensors;

namespace Fleet.Core.Identity;

/// <summary>One deployment target: a model plus a normalized slice key. Its string form <c>model/key</c> keys the slice grain.</summary>
public readonly record struct SliceId(string Model, string Key)
{
    /// <summary>The grain key form <c>model/key</c>.</summary>
    public override string ToString() => $"{Model}/{Key}";

    /// <summary>Validates and normalizes a model name and slice key.</summary>
    public static bool TryCreate(string? model, string? key, out SliceId id, out string error)
    {
        id = default;
        if (ModelName.Validate(model) is { } modelError)
        {
            error = modelError;
            return false;
        }

        if (!SliceKey.TryNormalize(key, out var normalized, out error))
        {
            return false;
        }

        id = new SliceId(model!, normalized);
        return true;
    }

    /// <summary>Parses the grain key form <c>model/key</c>.</summary>
    public static SliceId Parse(string grainKey)
    {
        var slash = grainKey.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new FormatException($"'{grainKey}' is not a slice id of the form model/key");
        }

        return new SliceId(grainKey[..slash], grainKey[(slash + 1)..]);
    }

    /// <summary>
    /// Resolves how an inference caller addressed a slice: the name form <c>{model}@{slice}</c>, or the plain
    /// model name with the slice in the request's parameters, or neither (the default slice).
    /// </summary>
    public static bool TryResolve(string addressedName, string? sliceParameter, out SliceId id, out string error)
    {
        var at = addressedName.IndexOf(InferParameterNames.SliceSeparator, StringComparison.Ordinal);
        string model = at < 0 ? addressedName : addressedName[..at];
        string? key = at < 0 ? null : addressedName[(at + 1)..];
        if (key is not null && sliceParameter is not null)
        {
            if (!SliceKey.TryNormalize(sliceParameter, out var fromParameter, out error)
                || !SliceKey.TryNormalize(key, out var fromName, out error))
            {
                id = default;
                return false;
            }

            if (fromParameter != fromName)
            {
                id = default;
                error = $"the name '{addressedName}' selects slice '{fromName}' but parameters.slice says '{fromParameter}'";
                return false;
            }
        }

        return TryCreate(model, key ?? sliceParameter ?? SliceKey.Default, out id, out error);
    }
}
