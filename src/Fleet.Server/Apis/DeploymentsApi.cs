using Fleet.Runtime.Backtests;
using Fleet.Runtime.PredictionLogs;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Deployments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Deployments (<c>/api/v1/models/{model}/deployments</c>): a version to slices, a list of slices, or all of them.</summary>
internal static class DeploymentsApi
{
    /// <summary>Maps the deployments group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var deployments = app.MapGroup("/api/v1/models/{model}/deployments").WithTags("Deployments").RequireRole(AccessRoles.Deployer);
        deployments.MapPost("", DeployAsync)
            .WithSummary("Deploy a version to slices, a list of slices, or all slices of the model. Idempotent.")
            .WithJsonBody<DeployRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return deployments;
    }

    private static async Task<Ok<DeployResult>> DeployAsync(
        string model, HttpContext context, DeploymentService deployments, Backtester backtester, PredictionLog log, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<DeployRequest>(context.Request, "the deploy request", context.RequestAborted);
        if (request is null)
        {
            throw new BadRequestException("the deploy request is empty: give at least {\"version\": \"...\"}");
        }

        var backtests = request.BacktestGate is { } gate ? await BacktestGateAsync(model, request, gate, backtester, log, context.RequestAborted) : [];
        var result = await deployments.DeployAsync(model, request, Actors.Of(context, actor), context.RequestAborted);
        return TypedResults.Ok(result with { Backtests = backtests });
    }

    // Each version the deploy sends (over the one slice it names, or every slice; a per-slice version over its slice) is
    // backtested first; one that would have been worse, or that the log cannot judge, stops the whole deploy with 409.
    private static async Task<IReadOnlyList<string>> BacktestGateAsync(
        string model, DeployRequest request, BacktestGateRequest gate, Backtester backtester, PredictionLog log, CancellationToken cancellationToken)
    {
        var judged = new List<(string Version, string? Slice)>();
        if (request.Versions is null || request.Slices is { Count: > 0 } || request.AllSlices)
        {
            judged.Add((request.Version, request is { Slices: [var only], AllSlices: false, Versions: null } ? only : null));
        }

        judged.AddRange(request.Versions?.Select(p => (p.Value, (string?)p.Key)) ?? []);
        var messages = new List<string>();
        foreach (var (version, slice) in judged)
        {
            var query = BacktestApi.Query(model, new BacktestRequest { Candidate = version, Slice = slice, Days = gate.Days }, log.Options.RetentionDays);
            var result = BacktestApi.ToResult(model, query.Days, await backtester.RunAsync(query, cancellationToken));
            var where = slice is null ? "" : $" on slice {slice}";
            if (result.Verdict is "worse" or "too_few_outcomes")
            {
                throw new ConflictException($"backtest gate{where}: {result.Message}; nothing was deployed");
            }

            messages.Add($"backtest gate passed{where}: {result.Message}");
        }

        return messages;
    }
}
