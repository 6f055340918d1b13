using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// The content address of a definition: the sha256 of its canonical JSON (every default written out, fields in one
/// order, numbers in their shortest round-trip form), so the same definition saved twice, however it was spelled, is
/// the same version.
/// </summary>
public static class EnsembleContent
{
    /// <summary>The version of a definition: the lowercase hex sha256 of its canonical JSON.</summary>
    public static string VersionOf(EnsembleDefinition definition) => Convert.ToHexStringLower(SHA256.HashData(Canonical(definition)));

    /// <summary>The definition as it is stored and shown: a request with every default filled in.</summary>
    public static EnsembleRequest ToRequest(EnsembleDefinition definition) => new()
    {
        Members = [.. definition.Members.Select(m => new EnsembleMemberRequest
        {
            Id = m.Id,
            Model = m.Kind == MemberKind.Model ? m.Target : null,
            Ensemble = m.Kind == MemberKind.Ensemble ? m.Target : null,
            Slice = m.Slice,
            Fallback = m.Fallback,
            Weight = m.Weight,
            Output = m.Output.Name,
            Index = m.Kind == MemberKind.Model ? m.Output.Index : null,
            Scale = m.Kind == MemberKind.Model ? m.Output.Scale : null,
            TimeoutMs = (int)m.Timeout.TotalMilliseconds,
        })],
        Combiner = EnsembleWireNames.Combiners.Name(definition.Combiner.Kind),
        MetaModel = definition.Combiner.MetaModel,
        MetaVersion = definition.Combiner.MetaVersion,
        Quorum = definition.Quorum,
        OnFailure = EnsembleWireNames.FailurePolicies.Name(definition.OnFailure),
        Output = definition.OutputName,
    };

    /// <summary>The canonical UTF-8 JSON of a definition.</summary>
    public static byte[] Canonical(EnsembleDefinition definition)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("combiner", EnsembleWireNames.Combiners.Name(definition.Combiner.Kind));
            WriteOptional(json, "meta_model", definition.Combiner.MetaModel);
            WriteOptional(json, "meta_version", definition.Combiner.MetaVersion);
            json.WriteNumber("quorum", definition.Quorum);
            json.WriteString("on_failure", EnsembleWireNames.FailurePolicies.Name(definition.OnFailure));
            json.WriteString("output", definition.OutputName);
            json.WriteStartArray("members");
            foreach (var m in definition.Members)
            {
                json.WriteStartObject();
                json.WriteString("id", m.Id);
                json.WriteString(m.Kind == MemberKind.Model ? "model" : "ensemble", m.Target);
                WriteOptional(json, "slice", m.Slice);
                json.WriteStartArray("fallback");
                foreach (var f in m.Fallback)
                {
                    json.WriteStringValue(f);
                }

                json.WriteEndArray();
                json.WriteNumber("weight", m.Weight);
                WriteOptional(json, "output", m.Output.Name);
                if (m.Kind == MemberKind.Model)
                {
                    json.WriteNumber("index", m.Output.Index);
                    json.WriteNumber("scale", m.Output.Scale);
                }

                json.WriteNumber("timeout_ms", (long)m.Timeout.TotalMilliseconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
