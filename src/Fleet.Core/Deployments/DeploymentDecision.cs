using Fleet.Core.Signatures;

namespace Fleet.Core.Deployments;

/// <summary>What deploying a version to a slice should do.</summary>
public enum DeploymentVerdict
{
    /// <summary>Make the version the slice's stable version.</summary>
    Deploy,

    /// <summary>The slice already runs the version: nothing to do.</summary>
    Unchanged,

    /// <summary>The version's inputs or outputs differ from the slice's current version and the caller did not accept that.</summary>
    SignatureConflict,
}

/// <summary>The verdict and, for a conflict, the differences.</summary>
public sealed record DeploymentDecision(DeploymentVerdict Verdict, IReadOnlyList<string> Differences)
{
    /// <summary>Decides a direct deployment of <paramref name="candidate"/> to a slice that runs <paramref name="currentVersion"/>.</summary>
    public static DeploymentDecision Decide(
        string? currentVersion, VersionSignature? currentSignature, string candidate, VersionSignature candidateSignature, bool acceptSignatureChange)
    {
        if (currentVersion == candidate)
        {
            return new DeploymentDecision(DeploymentVerdict.Unchanged, []);
        }

        if (currentSignature is null || acceptSignatureChange)
        {
            return new DeploymentDecision(DeploymentVerdict.Deploy, []);
        }

        var differences = SignatureComparer.Diff(currentSignature, candidateSignature);
        return differences.Count == 0
            ? new DeploymentDecision(DeploymentVerdict.Deploy, [])
            : new DeploymentDecision(DeploymentVerdict.SignatureConflict, differences);
    }
}
