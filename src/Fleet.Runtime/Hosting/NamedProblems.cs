using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>An options validator that fails start-up with every problem, each naming its option.</summary>
/// <typeparam name="T">The options class.</typeparam>
internal sealed class NamedProblems<T>(Func<T, IEnumerable<string>> problemsOf) : IValidateOptions<T>
    where T : class
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var problems = problemsOf(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
