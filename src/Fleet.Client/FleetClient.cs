using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;

namespace Fleet.Client;

/// <summary>The .NET client of a Fleet server: predictions (OIP V2), pushes, deployments and status, over HTTP.</summary>
public sealed partial class FleetClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client of the server at <paramref name="server"/>.</summary>
    public FleetClient(Uri server)
        : this(new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(30) }, ownsHttp: true)
    {
    }

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose BaseAddress is the server (e.g. from IHttpClientFactory).</summary>
    public FleetClient(HttpClient http)
        : this(http, ownsHttp: false)
    {
    }

    private FleetClient(HttpClient http, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        if (_http.BaseAddress is null)
        {
            throw new ArgumentException("the HttpClient needs a BaseAddress: the Fleet server's URL", nameof(http));
        }
    }

    /// <summary>The environment variable the API key is read from when none is set.</summary>
    public const string ApiKeyVariable = "FLEET_API_KEY";

    /// <summary>A note kept with each change, after the key that makes it (a person, a pipeline run); null for none.</summary>
    public string? Actor { get; set; }

    /// <summary>The API key sent as <c>Authorization: Bearer</c> (<c>fk_&lt;id&gt;_&lt;secret&gt;</c>); defaults to $FLEET_API_KEY.</summary>
    public string? ApiKey { get; set; } = Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key.Trim() : null;

    /// <summary>Predicts with a slice's stable version (or its rollout); the response's ModelVersion says which version answered.</summary>
    public Task<InferResponse> PredictAsync(string model, string? slice, IReadOnlyList<InferInput> inputs) =>
        PredictAsync(model, slice, inputs, PredictOptions.None, CancellationToken.None);

    /// <summary>Predicts with a slice's stable version (or its rollout), cancellable.</summary>
    public Task<InferResponse> PredictAsync(string model, string? slice, IReadOnlyList<InferInput> inputs, CancellationToken cancellationToken) =>
        PredictAsync(model, slice, inputs, PredictOptions.None, cancellationToken);

    /// <summary>
    /// Predicts with a slice's stable version (or its rollout, or the pinned <see cref="PredictOptions.Version"/>). The
    /// slice and routing key go in the request parameters; the response's ModelVersion says which version answered.
    /// </summary>
    public async Task<InferResponse> PredictAsync(
        string model, string? slice, IReadOnlyList<InferInput> inputs, PredictOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parameters = new Dictionary<string, object?>();
        if (slice is not null)
        {
            parameters[InferParameters.Slice] = slice;
        }

        if (options.RoutingKey is not null)
        {
            parameters[InferParameters.RoutingKey] = options.RoutingKey;
        }

        var request = new InferRequest
        {
            Id = options.Id,
            Parameters = parameters.Count > 0 ? parameters : null,
            Inputs = inputs,
            Outputs = options.Outputs?.Select(o => new InferRequestedOutput(o)).ToArray(),
        };
        var path = options.Version is null
            ? $"v2/models/{Uri.EscapeDataString(model)}/infer"
            : $"v2/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(options.Version)}/infer";
        return await SendJsonAsync<InferResponse>(HttpMethod.Post, path, request, cancellationToken);
    }

    /// <summary>Predicts with positional options; replaced by the <see cref="PredictOptions"/> overload, removed in the next release.</summary>
    [Obsolete("Pass a PredictOptions (new PredictOptions { RoutingKey = ..., Id = ..., Outputs = ..., Version = ... }): positional options are easy to mix up.", DiagnosticId = ObsoletePredictDiagnostic)]
    public Task<InferResponse> PredictAsync(
        string model, string? slice, IReadOnlyList<InferInput> inputs, string? routingKey = null, string? id = null,
        IReadOnlyList<string>? outputs = null, string? version = null, CancellationToken cancellationToken = default) =>
        PredictAsync(model, slice, inputs, new PredictOptions { RoutingKey = routingKey, Id = id, Outputs = outputs, Version = version }, cancellationToken);

    /// <summary>The diagnostic id of the positional <c>PredictAsync</c> overload's obsolescence warning.</summary>
    public const string ObsoletePredictDiagnostic = "FLEET0001";

    /// <summary>
    /// The OIP metadata (inputs, outputs, class labels) of a slice's stable version, or of a pinned <paramref name="version"/>;
    /// <c>parameters.slice</c> names the slice that answered (for a plain model name, the one found serving).
    /// </summary>
    public Task<ModelMetadataResponse> GetModelMetadataAsync(string model, string? slice = null, string? version = null, CancellationToken cancellationToken = default)
    {
        var name = Uri.EscapeDataString(slice is null ? model : $"{model}{InferParameters.SliceSeparator}{slice}");
        return GetAsync<ModelMetadataResponse>(version is null ? $"v2/models/{name}" : $"v2/models/{name}/versions/{Uri.EscapeDataString(version)}", cancellationToken);
    }

    /// <summary>Pushes an ONNX file as a version of <paramref name="model"/>; the same bytes again return the same version.</summary>
    public async Task<PushResult> PushAsync(string model, string onnxPath, VersionMetadata? metadata = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var file = File.OpenRead(onnxPath);
        return await PushAsync(model, file, metadata, progress, Path.GetFileName(onnxPath), cancellationToken);
    }

    /// <summary>Pushes ONNX bytes as a version of <paramref name="model"/>.</summary>
    public async Task<PushResult> PushAsync(string model, byte[] onnx, VersionMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream(onnx, writable: false);
        return await PushAsync(model, stream, metadata, null, "model.onnx", cancellationToken);
    }

    /// <summary>Pushes an ONNX stream as a version of <paramref name="model"/>, reporting bytes sent to <paramref name="progress"/>.</summary>
    public Task<PushResult> PushAsync(string model, Stream onnx, VersionMetadata? metadata, IProgress<long>? progress, string fileName = "model.onnx", CancellationToken cancellationToken = default) =>
        PushAsync(model, onnx, metadata, progress, fileName, null, "reference.csv", cancellationToken);

    /// <summary>
    /// Pushes an ONNX stream with a <paramref name="reference"/> data set (a CSV with a header row, or Parquet: a sample of
    /// the training data, a column per input feature) that drift judges served inputs against from the first request.
    /// </summary>
    public async Task<PushResult> PushAsync(
        string model, Stream onnx, VersionMetadata? metadata, IProgress<long>? progress, string fileName, Stream? reference, string referenceFileName = "reference.csv",
        CancellationToken cancellationToken = default)
    {
        using var form = new MultipartFormDataContent();
        if (reference is not null)
        {
            var data = new StreamContent(reference, 81920);
            data.Headers.ContentType = new MediaTypeHeaderValue(referenceFileName.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? "application/vnd.apache.parquet" : "text/csv");
            form.Add(data, "reference", referenceFileName);
        }

        var body = progress is null ? onnx : new ProgressStream(onnx, progress);
        var file = new StreamContent(body, 81920);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        if (metadata is not null)
        {
            form.Add(new StringContent(JsonSerializer.Serialize(metadata), System.Text.Encoding.UTF8, "application/json"), "metadata");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/versions") { Content = form };
        using var response = await SendAsync(request, cancellationToken);
        return await ReadAsync<PushResult>(response, cancellationToken);
    }

    /// <summary>Deploys a version to slices; idempotent.</summary>
    public Task<DeployResult> DeployAsync(string model, DeployRequest request, CancellationToken cancellationToken = default) =>
        SendJsonAsync<DeployResult>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/deployments", request, cancellationToken);

    /// <summary>Pauses, resumes, promotes or rolls back rollouts (<see cref="RolloutActions"/>) of the slices the request names.</summary>
    public Task<RolloutActionResult> ActAsync(string model, string action, RolloutActionRequest request, CancellationToken cancellationToken = default) =>
        SendJsonAsync<RolloutActionResult>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/rollouts/{Uri.EscapeDataString(action)}", request, cancellationToken);

    /// <summary>The model's waves, newest first, each with its state.</summary>
    public Task<WaveList> ListWavesAsync(string model, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync<WaveList>($"api/v1/models/{Uri.EscapeDataString(model)}/waves{(limit is { } n ? FormattableString.Invariant($"?limit={n}") : "")}", cancellationToken);

    /// <summary>A wave's status: its step, slices by phase, pooled gates, slices rolled back alone.</summary>
    public Task<WaveStatus> GetWaveAsync(string model, string wave, CancellationToken cancellationToken = default) =>
        GetAsync<WaveStatus>($"api/v1/models/{Uri.EscapeDataString(model)}/waves/{Uri.EscapeDataString(wave)}", cancellationToken);

    /// <summary>Pauses, resumes, promotes or rolls back every slice of a wave (<see cref="RolloutActions"/>).</summary>
    public Task<WaveStatus> ActOnWaveAsync(string model, string wave, string action, string? reason = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<WaveStatus>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/waves/{Uri.EscapeDataString(wave)}/{Uri.EscapeDataString(action)}", new WaveActionRequest { Reason = reason }, cancellationToken);

    /// <summary>Sends true outcomes of earlier predictions, joined by prediction id.</summary>
    public Task<FeedbackResult> SendFeedbackAsync(IReadOnlyList<FeedbackItem> feedback, CancellationToken cancellationToken = default) =>
        SendJsonAsync<FeedbackResult>(HttpMethod.Post, "api/v1/feedback", new FeedbackRequest { Feedback = feedback }, cancellationToken);

    /// <summary>Sets the model's default rollout plan (used by deployments that give none).</summary>
    public Task<RolloutRequest> SetRolloutDefaultsAsync(string model, RolloutRequest defaults, CancellationToken cancellationToken = default) =>
        SendJsonAsync<RolloutRequest>(HttpMethod.Put, $"api/v1/models/{Uri.EscapeDataString(model)}/rollout-defaults", defaults, cancellationToken);

    /// <summary>The model's default rollout plan; <see cref="FleetNotFoundException"/> when it has none.</summary>
    public Task<RolloutRequest> GetRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default) =>
        GetAsync<RolloutRequest>($"api/v1/models/{Uri.EscapeDataString(model)}/rollout-defaults", cancellationToken);

    /// <summary>Removes the model's default rollout plan: plain deploys of it are immediate again.</summary>
    public async Task RemoveRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"api/v1/models/{Uri.EscapeDataString(model)}/rollout-defaults");
        using var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync<object>(response, cancellationToken);
        }
    }

    /// <summary>Saves an ensemble definition; the same definition again is the same version (<c>created</c> false).</summary>
    public Task<EnsembleInfo> PutEnsembleAsync(string name, EnsembleRequest definition, CancellationToken cancellationToken = default) =>
        SendJsonAsync<EnsembleInfo>(HttpMethod.Put, $"api/v1/ensembles/{Uri.EscapeDataString(name)}", definition, cancellationToken);

    /// <summary>An ensemble's current definition and version.</summary>
    public Task<EnsembleInfo> GetEnsembleAsync(string name, CancellationToken cancellationToken = default) =>
        GetAsync<EnsembleInfo>($"api/v1/ensembles/{Uri.EscapeDataString(name)}", cancellationToken);

    /// <summary>Every ensemble's current definition and version.</summary>
    public Task<IReadOnlyList<EnsembleInfo>> ListEnsemblesAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<EnsembleInfo>>("api/v1/ensembles", cancellationToken);

    /// <summary>Deploys a saved definition version of the ensemble, immediately or rolled out by the request's plan (canary, shadow, shadow then canary).</summary>
    public Task<DeployResult> DeployEnsembleAsync(string name, EnsembleDeployRequest request, CancellationToken cancellationToken = default) =>
        SendJsonAsync<DeployResult>(HttpMethod.Post, $"api/v1/ensembles/{Uri.EscapeDataString(name)}/deployments", request, cancellationToken);

    /// <summary>The ensemble's deployment: the definition version it serves, and its running or last rollout.</summary>
    public Task<SliceStatus> GetEnsembleDeploymentAsync(string name, CancellationToken cancellationToken = default) =>
        GetAsync<SliceStatus>($"api/v1/ensembles/{Uri.EscapeDataString(name)}/deployment", cancellationToken);

    /// <summary>The ensemble's deployment history after event <paramref name="after"/>, oldest first.</summary>
    public Task<SliceHistory> GetEnsembleHistoryAsync(string name, long after = 0, int limit = 1000, CancellationToken cancellationToken = default) =>
        GetAsync<SliceHistory>($"api/v1/ensembles/{Uri.EscapeDataString(name)}/history?after={after}&limit={limit}", cancellationToken);

    /// <summary>Pauses, resumes, promotes or rolls back (<see cref="RolloutActions"/>) the running rollout of the ensemble's definition.</summary>
    public Task<RolloutActionResult> ActOnEnsembleAsync(string name, string action, string? reason = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<RolloutActionResult>(HttpMethod.Post, $"api/v1/ensembles/{Uri.EscapeDataString(name)}/rollouts/{Uri.EscapeDataString(action)}",
            new RolloutActionRequest { Reason = reason }, cancellationToken);

    /// <summary>Every model.</summary>
    public Task<IReadOnlyList<ModelSummary>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<ModelSummary>>("api/v1/models", cancellationToken);

    /// <summary>A model's versions, oldest first.</summary>
    public Task<IReadOnlyList<VersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<VersionInfo>>($"api/v1/models/{Uri.EscapeDataString(model)}/versions", cancellationToken);

    /// <summary>One version by id or unique prefix.</summary>
    public Task<VersionInfo> GetVersionAsync(string model, string version, CancellationToken cancellationToken = default) =>
        GetAsync<VersionInfo>($"api/v1/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}", cancellationToken);

    /// <summary>
    /// Replaces a version's metadata (description, tags, training data, metrics, labels...) and answers the version;
    /// the change is recorded in the model's history. score_output and score_class stay as pushed.
    /// </summary>
    public Task<VersionInfo> SetVersionMetadataAsync(string model, string version, VersionMetadata metadata, CancellationToken cancellationToken = default) =>
        SendJsonAsync<VersionInfo>(HttpMethod.Put, $"api/v1/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}/metadata", metadata, cancellationToken);

    /// <summary>One slice's deployment and traffic.</summary>
    public Task<SliceStatus> GetSliceAsync(string model, string slice, CancellationToken cancellationToken = default) =>
        GetAsync<SliceStatus>($"api/v1/models/{Uri.EscapeDataString(model)}/slices/{Uri.EscapeDataString(slice)}", cancellationToken);

    /// <summary>The model's latest <paramref name="limit"/> events, oldest first: versions pushed and changed, every slice's deployments and rollout decisions.</summary>
    public Task<ModelHistory> GetModelHistoryAsync(string model, int limit = 100, CancellationToken cancellationToken = default) =>
        GetAsync<ModelHistory>($"api/v1/models/{Uri.EscapeDataString(model)}/history?limit={limit}", cancellationToken);

    /// <summary>A slice's history after event <paramref name="after"/>, oldest first.</summary>
    public Task<SliceHistory> GetHistoryAsync(string model, string slice, long after = 0, int limit = 1000, CancellationToken cancellationToken = default) =>
        GetAsync<SliceHistory>($"api/v1/models/{Uri.EscapeDataString(model)}/slices/{Uri.EscapeDataString(slice)}/history?after={after}&limit={limit}", cancellationToken);

    /// <summary>Creates an API key (admin role); the answer holds its text, which the server does not keep.</summary>
    public Task<CreatedApiKey> CreateKeyAsync(CreateApiKeyRequest request, CancellationToken cancellationToken = default) =>
        SendJsonAsync<CreatedApiKey>(HttpMethod.Post, "api/v1/keys", request, cancellationToken);

    /// <summary>Every API key, valid and revoked (admin role).</summary>
    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<ApiKeyInfo>>("api/v1/keys", cancellationToken);

    /// <summary>Revokes the API key <paramref name="id"/> (admin role); it is refused from then on.</summary>
    public async Task RevokeKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"api/v1/keys/{Uri.EscapeDataString(id)}");
        using var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync<object>(response, cancellationToken);
        }
    }

    /// <summary>A page of a model's slices.</summary>
    public Task<SliceList> ListSlicesAsync(string model, int offset = 0, int limit = 1000, CancellationToken cancellationToken = default) =>
        GetAsync<SliceList>($"api/v1/models/{Uri.EscapeDataString(model)}/slices?offset={offset}&limit={limit}", cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    private async Task<T> SendJsonAsync<T>(HttpMethod method, string path, object body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, body.GetType(), options: Json) };
        using var response = await SendAsync(message, cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Actor is not null)
        {
            request.Headers.Add("Fleet-Actor", Actor);
        }

        if (ApiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        }

        return _http.SendAsync(request, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return await response.Content.ReadFromJsonAsync<T>(cancellationToken)
                ?? throw new FleetException(response.StatusCode, $"the server answered {(int)response.StatusCode} with an empty body");
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var (message, conflicts) = ParseError(text, response);
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new FleetNotFoundException(message),
            HttpStatusCode.Conflict => new FleetConflictException(message, conflicts),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new FleetAccessDeniedException(response.StatusCode, message),
            HttpStatusCode.TooManyRequests => new FleetRateLimitedException(message, response.Headers.RetryAfter?.Delta),
            >= HttpStatusCode.InternalServerError => new FleetServerException(response.StatusCode, message),
            _ => new FleetBadRequestException(response.StatusCode, message),
        };
    }

    private static (string Message, IReadOnlyList<string> Conflicts) ParseError(string text, HttpResponseMessage response)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            var message = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()
                : root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                : root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                : null;
            var conflicts = root.TryGetProperty("conflicts", out var c) && c.ValueKind == JsonValueKind.Array
                ? c.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
                : [];
            return (message ?? $"{(int)response.StatusCode} {response.ReasonPhrase}", conflicts);
        }
        catch (JsonException)
        {
            return (string.IsNullOrWhiteSpace(text) ? $"{(int)response.StatusCode} {response.ReasonPhrase}" : text, []);
        }
    }
}
