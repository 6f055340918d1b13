using System.Security.Claims;
using Fleet.Core.Errors;

namespace Fleet.Server.Access;

/// <summary>
/// A key scoped to some models reaches models through an ensemble too: calling or saving an ensemble needs a scope that
/// covers every model the ensemble reaches, not only the ensemble's name (which shares the models' namespace).
/// </summary>
internal static class EnsembleAccess
{
    /// <summary>Refuses (403 naming the model) a scoped key when <paramref name="reached"/> holds a model outside its scope; unscoped keys pass without a lookup.</summary>
    public static async ValueTask RequireReachAsync(ClaimsPrincipal user, string ensemble, Func<ValueTask<IReadOnlyList<string>>> reached)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(reached);
        if (user.KeyId() is not { } id || user.ScopedModels() is not { Count: > 0 } scope)
        {
            return;
        }

        foreach (var model in await reached())
        {
            if (FleetAccessHandler.ScopeRefusal(id, scope, model) is { } refusal)
            {
                throw new ForbiddenException($"{refusal}, which ensemble '{ensemble}' reaches");
            }
        }
    }
}
