using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>
/// What <see cref="FleetSiloBuilderExtensions.AddFleet"/> returns: chooses Fleet's backends, in code
/// (<c>UseEmbeddedStorage()</c>, <c>UseLocalArtifacts()</c>) or by configuration alone (<c>Fleet:Storage:Kind</c>,
/// <c>Fleet:Artifacts:Kind</c>). A choice made in code wins over configuration; with neither, the embedded store and
/// the local folder are used. A backend is a kind: a name and the keyed services it registers under that name.
/// </summary>
public sealed class FleetBuilder
{
    private readonly List<BackendKind> _storage = [];
    private readonly List<BackendKind> _artifacts = [];

    internal FleetBuilder(ISiloBuilder silo) => Silo = silo;

    /// <summary>The silo Fleet is added to.</summary>
    public ISiloBuilder Silo { get; }

    /// <summary>The silo's services.</summary>
    public IServiceCollection Services => Silo.Services;

    /// <summary>The storage kinds configuration can choose, in the order they were added.</summary>
    public IReadOnlyList<string> StorageKinds => [.. _storage.Select(k => k.Name)];

    /// <summary>The artifact kinds configuration can choose, in the order they were added.</summary>
    public IReadOnlyList<string> ArtifactKinds => [.. _artifacts.Select(k => k.Name)];

    /// <summary>
    /// Adds a storage kind: <paramref name="register"/> adds <c>ISliceStore</c>, <c>IEventFeed</c>, <c>IModelCatalog</c>
    /// and <c>IReminderTable</c> as keyed services under the kind's name; <paramref name="describe"/> gives its settings
    /// for the start-up log line (secrets are masked there).
    /// </summary>
    public FleetBuilder AddStorageKind(string kind, Action<FleetBuilder, string> register, Func<IServiceProvider, object> describe) =>
        Add(_storage, kind, register, describe);

    /// <summary>Adds an artifact kind: <paramref name="register"/> adds an <c>IArtifactStore</c> as a keyed service under the kind's name.</summary>
    public FleetBuilder AddArtifactKind(string kind, Action<FleetBuilder, string> register, Func<IServiceProvider, object> describe) =>
        Add(_artifacts, kind, register, describe);

    /// <summary>Chooses the storage kind in code, over what configuration says.</summary>
    public FleetBuilder UseStorage(string kind)
    {
        Services.Configure<FleetStorageOptions>(o => o.Kind = kind);
        return this;
    }

    /// <summary>Chooses the artifact kind in code, over what configuration says.</summary>
    public FleetBuilder UseArtifacts(string kind)
    {
        Services.Configure<FleetArtifactOptions>(o => o.Kind = kind);
        return this;
    }

    /// <summary>Chooses the storage kind in code, then applies <paramref name="configure"/> to its options after configuration.</summary>
    internal FleetBuilder UseStorage<TOptions>(string kind, Action<TOptions>? configure)
        where TOptions : class => UseStorage(kind).Configure(configure);

    /// <summary>Chooses the artifact kind in code, then applies <paramref name="configure"/> to its options after configuration.</summary>
    internal FleetBuilder UseArtifacts<TOptions>(string kind, Action<TOptions>? configure)
        where TOptions : class => UseArtifacts(kind).Configure(configure);

    /// <summary>Binds a storage kind's options from <c>Fleet:Storage</c>, checked at start-up by <paramref name="problems"/> only when <paramref name="kind"/> is chosen.</summary>
    internal void AddStorageOptions<TOptions>(string kind, Func<TOptions, IEnumerable<string>> problems)
        where TOptions : class => AddKindOptions(FleetStorageOptions.Section, sp => ChosenStorage(sp) == kind, problems);

    /// <summary>Binds an artifact kind's options from <c>Fleet:Artifacts</c>, checked at start-up by <paramref name="problems"/> only when <paramref name="kind"/> is chosen.</summary>
    internal void AddArtifactOptions<TOptions>(string kind, Func<TOptions, IEnumerable<string>> problems)
        where TOptions : class => AddKindOptions(FleetArtifactOptions.Section, sp => ChosenArtifacts(sp) == kind, problems);

    /// <summary>The storage kind chosen (validated: an unknown kind fails naming the valid ones).</summary>
    internal string ChosenStorage(IServiceProvider services) => Find(_storage, services.GetRequiredService<IOptions<FleetStorageOptions>>().Value.Kind)!.Name;

    /// <summary>The artifact kind chosen (validated like <see cref="ChosenStorage"/>).</summary>
    internal string ChosenArtifacts(IServiceProvider services) => Find(_artifacts, services.GetRequiredService<IOptions<FleetArtifactOptions>>().Value.Kind)!.Name;

    /// <summary>The chosen backends and their settings, secrets masked, for one log line.</summary>
    internal string Describe(IServiceProvider services)
    {
        var storage = Find(_storage, ChosenStorage(services))!;
        var artifacts = Find(_artifacts, ChosenArtifacts(services))!;
        return $"storage {storage.Name} ({Redaction.Describe(storage.Describe(services))}); artifacts {artifacts.Name} ({Redaction.Describe(artifacts.Describe(services))})";
    }

    /// <summary>The problem with a storage kind's name, naming the option and the valid kinds; none when it is known.</summary>
    internal IEnumerable<string> StorageProblems(FleetStorageOptions options) => Problems(_storage, FleetStorageOptions.Section, "a storage", options.Kind);

    /// <summary>The problem with an artifact kind's name, like <see cref="StorageProblems"/>.</summary>
    internal IEnumerable<string> ArtifactProblems(FleetArtifactOptions options) => Problems(_artifacts, FleetArtifactOptions.Section, "an artifact", options.Kind);

    private FleetBuilder Configure<TOptions>(Action<TOptions>? configure)
        where TOptions : class
    {
        if (configure is not null)
        {
            Services.Configure(configure);
        }

        return this;
    }

    // A kind's options sit in the section its kind is chosen in; those of a kind not chosen are never checked.
    private void AddKindOptions<TOptions>(string section, Func<IServiceProvider, bool> chosen, Func<TOptions, IEnumerable<string>> problems)
        where TOptions : class
    {
        Services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        Services.AddSingleton<IValidateOptions<TOptions>>(sp => new NamedProblems<TOptions>(o => chosen(sp) ? problems(o) : []));
    }

    private FleetBuilder Add(List<BackendKind> kinds, string kind, Action<FleetBuilder, string> register, Func<IServiceProvider, object> describe)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        if (Find(kinds, kind) is not null)
        {
            throw new InvalidOperationException($"the backend kind '{kind}' is added already");
        }

        kinds.Add(new BackendKind(kind, describe));
        register(this, kind);
        return this;
    }

    private static IEnumerable<string> Problems(List<BackendKind> kinds, string section, string what, string? kind)
    {
        if (Find(kinds, kind) is null)
        {
            yield return string.IsNullOrWhiteSpace(kind)
                ? $"{section}:Kind must name {what} kind: one of {string.Join(", ", kinds.Select(k => k.Name))}"
                : $"{section}:Kind '{kind}' is not {what} kind: use one of {string.Join(", ", kinds.Select(k => k.Name))}";
        }
    }

    // Kinds are names an operator types: any case will do.
    private static BackendKind? Find(List<BackendKind> kinds, string? kind) =>
        kinds.FirstOrDefault(k => string.Equals(k.Name, kind, StringComparison.OrdinalIgnoreCase));

    private sealed record BackendKind(string Name, Func<IServiceProvider, object> Describe);
}
