using System.Net.Http.Json;
using System.Text.Json;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>The served OpenAPI document is exact enough for a generated client or an API fuzzer.</summary>
public sealed class OpenApiDocumentTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<JsonElement> DocumentAsync() => await server.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> ManagementOperations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete").Select(o => (p.Name, o.Name, o.Value)));

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    private static JsonElement Body(JsonElement document, string path, string method, string mediaType) =>
        Resolve(document, document.GetProperty("paths").GetProperty(path).GetProperty(method)
            .GetProperty("requestBody").GetProperty("content").GetProperty(mediaType).GetProperty("schema"));

    [Fact]
    public async Task Every_management_operation_that_takes_input_documents_its_4xx_answers_as_problem_details()
    {
        var document = await DocumentAsync();
        var operations = ManagementOperations(document).ToList();
        Assert.True(operations.Count >= 13, $"only {operations.Count} management operations in the document");
        foreach (var (path, method, operation) in operations)
        {
            var takesInput = path.Contains('{', StringComparison.Ordinal) || operation.TryGetProperty("requestBody", out _);
            var problems = operation.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('4')).ToList();
            if (takesInput)
            {
                Assert.True(problems.Count > 0, $"{method} {path} documents no 4xx answer");
            }

            foreach (var problem in problems)
            {
                Assert.True(problem.Value.GetProperty("content").TryGetProperty("application/problem+json", out _),
                    $"{method} {path} answers {problem.Name} without a problem-details body");
            }
        }
    }

    [Fact]
    public async Task Deploy_documents_400_404_409_and_413_and_its_json_body()
    {
        var document = await DocumentAsync();
        var deploy = document.GetProperty("paths").GetProperty("/api/v1/models/{model}/deployments").GetProperty("post");
        var statuses = deploy.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "200", "400", "404", "409", "413" }, statuses);
        var body = Body(document, "/api/v1/models/{model}/deployments", "post", "application/json");
        var properties = body.GetProperty("properties");
        foreach (var name in new[] { "version", "slices", "all_slices", "rollout", "supersede" })
        {
            Assert.True(properties.TryGetProperty(name, out _), $"the deploy body lacks '{name}'");
        }

        Assert.Contains("version", body.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Push_is_described_as_multipart_with_a_binary_file_part_and_an_optional_metadata_part()
    {
        var document = await DocumentAsync();
        var push = document.GetProperty("paths").GetProperty("/api/v1/models/{model}/versions").GetProperty("post");
        var statuses = push.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "200", "201", "400", "413" }, statuses);
        var form = Body(document, "/api/v1/models/{model}/versions", "post", "multipart/form-data");
        var file = form.GetProperty("properties").GetProperty("file");
        Assert.Equal(("string", "binary"), (file.GetProperty("type").GetString(), file.GetProperty("format").GetString()));
        var metadata = Resolve(document, form.GetProperty("properties").GetProperty("metadata"));
        Assert.True(metadata.GetProperty("properties").TryGetProperty("source_commit", out _));
        Assert.Equal(["file"], form.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }
}
