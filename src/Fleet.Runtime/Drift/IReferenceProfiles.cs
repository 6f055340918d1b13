using Fleet.Core.Drift;

namespace Fleet.Runtime.Drift;

/// <summary>A version's reference profile made from the data set given at push.</summary>
/// <param name="Profile">The profile.</param>
/// <param name="Rows">Rows of the data set.</param>
/// <param name="MadeAt">When the version was pushed with it.</param>
public sealed record ReferenceProfile(ProfileSet Profile, int Rows, DateTimeOffset MadeAt);

/// <summary>Where the drift monitor finds a version's reference data set, when it was pushed with one.</summary>
public interface IReferenceProfiles
{
    /// <summary>The reference of <paramref name="model"/>'s <paramref name="version"/> from its pushed data set, or null when it has none.</summary>
    Task<ReferenceProfile?> FindAsync(string model, string version, int maxColumns, CancellationToken cancellationToken);
}
