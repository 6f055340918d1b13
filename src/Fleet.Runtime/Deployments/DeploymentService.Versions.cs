using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Waves;

namespace Fleet.Runtime.Deployments;

/// <summary>Deploys with per-slice versions (a mapping slice -> version): each slice gets its own candidate, one plan, one wave.</summary>
public sealed partial class DeploymentService
{
    // The per-slice versions of the request, resolved, by normalized slice key; their slices join the targets.
    private async Task<Dictionary<string, VersionInfo>> OverridesAsync(string model, DeployRequest request, List<string> targets, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, VersionInfo>(StringComparer.Ordinal);
        if (request.Versions is not { Count: > 0 } versions)
        {
            return overrides;
        }

        if (request.AllSlices)
        {
            throw new BadRequestException("versions: give either versions or all_slices, not both");
        }

        if (request.Slices is not { Count: > 0 })
        {
            targets.Clear(); // without slices, the mapping names every target (not the default slice)
        }

        foreach (var (key, reference) in versions)
        {
            if (!SliceKey.TryNormalize(key, out var normalized, out var error))
            {
                throw new BadRequestException("versions: " + error);
            }

            if (string.IsNullOrWhiteSpace(reference))
            {
                throw new BadRequestException($"versions: slice '{normalized}' has no version");
            }

            overrides[normalized] = await _registry.ResolveVersionAsync(model, reference, cancellationToken);
            if (!targets.Contains(normalized, StringComparer.Ordinal))
            {
                targets.Add(normalized);
            }
        }

        return overrides;
    }

    // Each slice's command: its own version (and the plan fitted to it) when the mapping names one, the wave's id and steps in every plan.
    private Func<string, DeployCommand> CommandsOf(DeployCommand command, RolloutSpec? plan, Dictionary<string, VersionInfo> overrides, string model, WaveId? wave)
    {
        if (overrides.Count == 0)
        {
            return _ => command;
        }

        var labels = _journal.LabelsJoined(model);
        return key => overrides.TryGetValue(key, out var version)
            ? command with
            {
                Version = version.Version,
                Signature = version.Signature.ToDomain(),
                // The wave's steps, as fitted to its traffic: every slice of a wave takes the same steps.
                Rollout = WavePlans.Join(plan is null ? null : DeployForecast.WithQualityGate(RolloutPlans.ForCandidate(plan, version), labels) with { Steps = command.Rollout?.Steps ?? plan.Steps }, wave),
            }
            : command;
    }
}
