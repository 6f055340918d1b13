using System.Collections.Concurrent;
using Fleet.Core.Errors;
using Fleet.Runtime.Access;
using Fleet.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Access;

/// <summary>
/// The server's API keys: loaded from the store once (creating the first admin key when the store holds none),
/// then kept in memory, so authenticating a request costs a hash, not a store read. Creates and revokes write through.
/// </summary>
internal sealed partial class ApiKeyDirectory(IApiKeyStore store, IOptions<AuthOptions> options, IOptions<FleetOptions> fleet, TimeProvider clock, ILogger<ApiKeyDirectory> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _isLoaded;

    /// <summary>Where the first admin key is written when it is generated.</summary>
    public string AdminKeyFile => Path.Combine(fleet.Value.DataDirectory, AuthOptions.AdminKeyFileName);

    /// <summary>Loads the keys; at first start (no key stored) creates the admin key from the options or writes a generated one to <see cref="AdminKeyFile"/>.</summary>
    public async Task EnsureLoadedAsync(CancellationToken cancellationToken = default)
    {
        if (_isLoaded)
        {
            return;
        }

        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_isLoaded)
            {
                return;
            }

            var stored = await store.ListAsync(cancellationToken);
            if (stored.Count == 0)
            {
                stored = [await BootstrapAsync()];
            }

            foreach (var key in stored)
            {
                _keys[key.Id] = key;
            }

            _isLoaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>
    /// The valid key whose text is <paramref name="secret"/>, or null when none is (unknown, wrong secret or revoked).
    /// Completes synchronously once the keys are loaded (at start), so a request pays a hash and no await.
    /// </summary>
    public ValueTask<ApiKeyRecord?> FindAsync(ApiKeySecret secret, CancellationToken cancellationToken) =>
        _isLoaded ? ValueTask.FromResult(Find(secret)) : LoadThenFindAsync(secret, cancellationToken);

    private async ValueTask<ApiKeyRecord?> LoadThenFindAsync(ApiKeySecret secret, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Find(secret);
    }

    private ApiKeyRecord? Find(ApiKeySecret secret) =>
        _keys.TryGetValue(secret.Id, out var key) && key.RevokedAt is null && secret.Matches(key.Hash) ? key : null;

    /// <summary>Every key, valid and revoked, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return [.. _keys.Values.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)];
    }

    /// <summary>Creates a key; returns it with its text, which is not kept. Bad names, roles or patterns are a 400.</summary>
    public async Task<(ApiKeyRecord Key, string Text)> CreateAsync(string? name, IReadOnlyList<string>? roles, IReadOnlyList<string>? models, string createdBy)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(char.IsControl))
        {
            throw new BadRequestException("a key needs a 'name' of 1 to 200 printable characters saying what it is for");
        }

        if ((AccessRoles.Validate(roles) ?? ModelScope.Validate(models)) is { } problem)
        {
            throw new BadRequestException(problem);
        }

        await EnsureLoadedAsync();
        var secret = ApiKeySecret.Generate();
        var key = new ApiKeyRecord(secret.Id, name.Trim(), [.. roles!.Distinct()], [.. (models ?? []).Distinct()], secret.Hash(), clock.GetUtcNow(), createdBy);
        await store.AddAsync(key);
        _keys[key.Id] = key;
        return (key, secret.Text);
    }

    /// <summary>Revokes the key <paramref name="id"/> (with or without its <c>fk_</c> prefix); a 404 when there is none.</summary>
    public async Task<ApiKeyRecord> RevokeAsync(string id)
    {
        await EnsureLoadedAsync();
        var bare = id.StartsWith(ApiKeySecret.Prefix, StringComparison.Ordinal) ? id[ApiKeySecret.Prefix.Length..] : id;
        if (!_keys.TryGetValue(bare, out var key))
        {
            throw new NotFoundException($"no API key has the id '{id}'");
        }

        var now = clock.GetUtcNow();
        await store.RevokeAsync(bare, now);
        var revoked = key with { RevokedAt = key.RevokedAt ?? now };
        _keys[bare] = revoked;
        return revoked;
    }

    /// <inheritdoc />
    public void Dispose() => _loadLock.Dispose();

    private async Task<ApiKeyRecord> BootstrapAsync()
    {
        ApiKeySecret secret;
        if (options.Value.BootstrapKey is { Length: > 0 } configured)
        {
            secret = ApiKeySecret.TryParse(configured, out var problem)
                ?? throw new InvalidOperationException($"{AuthOptions.Section}:BootstrapKey is invalid: {problem}");
        }
        else
        {
            secret = ApiKeySecret.Generate();
            WriteKeyFile(AdminKeyFile, secret.Text);
            LogKeyWritten(logger, AdminKeyFile);
        }

        var key = new ApiKeyRecord(secret.Id, "first admin key", [AccessRoles.Admin], [], secret.Hash(), clock.GetUtcNow(), "bootstrap");
        await store.AddAsync(key);
        return key;
    }

    /// <summary>Writes <paramref name="text"/> to a file only its owner can read or write, created so from the start (no window where others can read it).</summary>
    internal static void WriteKeyFile(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, file))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API key existed: the first admin key was written to {Path} (readable by its owner only). Use it to create other keys, then keep it safe.")]
    private static partial void LogKeyWritten(ILogger logger, string path);
}
