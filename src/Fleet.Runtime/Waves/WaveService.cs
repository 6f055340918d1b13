using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Catalog;

namespace Fleet.Runtime.Waves;

/// <summary>Shows and steers a model's waves.</summary>
public sealed class WaveService
{
    /// <summary>The most waves a list answers.</summary>
    public const int MaxListed = 1000;

    private readonly IGrainFactory _grains;
    private readonly ModelRegistry _registry;
    private readonly IWaveStore _store;

    /// <summary>Creates the service.</summary>
    public WaveService(IGrainFactory grains, ModelRegistry registry, IWaveStore store)
    {
        _grains = grains;
        _registry = registry;
        _store = store;
    }

    /// <summary>The model's waves, newest first, at most <paramref name="limit"/>; 400 for a limit out of range, 404 for an unknown model.</summary>
    public async Task<WaveList> ListAsync(string model, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxListed)
        {
            throw new BadRequestException($"limit must be between 1 and {MaxListed}, not {limit}");
        }

        await _registry.RequireModelAsync(model, cancellationToken);
        var records = await _store.ListAsync(model, cancellationToken);
        return new WaveList(model, [.. records.OrderByDescending(r => r.State.StartedAt).ThenBy(r => r.State.Id.Value, StringComparer.Ordinal).Take(limit).Select(WaveStatuses.ToStatus)]);
    }

    /// <summary>The grain of wave <paramref name="wave"/> of <paramref name="model"/>.</summary>
    public static IWaveGrain Grain(IGrainFactory grains, string model, WaveId wave)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IWaveGrain>($"{model}/{wave}");
    }

    /// <summary>The wave's status; 400 for a malformed id, 404 for an unknown model or wave.</summary>
    public async Task<WaveStatus> GetAsync(string model, string wave, CancellationToken cancellationToken = default)
    {
        var id = await ResolveAsync(model, wave, cancellationToken);
        return await Grain(_grains, model, id).GetStatus() ?? throw Unknown(model, wave);
    }

    /// <summary>Pauses, resumes, promotes or rolls back the wave; 400 for an unknown action, 404 for an unknown wave.</summary>
    public async Task<WaveStatus> ActAsync(string model, string wave, string action, string actor, string? reason, CancellationToken cancellationToken = default)
    {
        if (action is not (RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Rollback))
        {
            throw new BadRequestException($"'{Short(action)}' is not a wave action: use pause, resume, promote or rollback");
        }

        var id = await ResolveAsync(model, wave, cancellationToken);
        return await Grain(_grains, model, id).Act(action, actor, reason) ?? throw Unknown(model, wave);
    }

    private async Task<WaveId> ResolveAsync(string model, string wave, CancellationToken cancellationToken)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        return WaveId.TryParse(wave, out var id, out var error) ? id : throw new BadRequestException(error);
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static NotFoundException Unknown(string model, string wave) => new($"model '{model}' has no wave '{Short(wave)}'");
}
