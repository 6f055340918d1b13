using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Feedback (<c>/api/v1/feedback</c>): true outcomes of earlier predictions, joined by prediction id.</summary>
internal static class FeedbackApi
{
    /// <summary>Maps the feedback group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        var feedback = app.MapGroup("/api/v1/feedback").WithTags("Feedback").RequireRole(AccessRoles.Feedback).ModelFree();
        feedback.MapPost("", JoinAsync)
            .WithSummary("True outcomes of earlier predictions, joined by prediction id; they feed quality gates and metrics")
            .WithJsonBody<FeedbackRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return feedback;
    }

    private static async Task<Ok<FeedbackResult>> JoinAsync(HttpContext context, PredictionJournal journal)
    {
        var request = await RequestBody.ReadJsonAsync<FeedbackRequest>(context.Request, "the feedback request", context.RequestAborted)
            ?? throw new BadRequestException("the feedback request is empty: give {\"feedback\": [{\"id\": \"...\", \"value\": 1.5}]}");
        var given = request.Feedback ?? throw new BadRequestException("'feedback' must be an array of outcomes, each with an 'id' and a 'value' or 'label'");
        var items = new List<(string, double, bool)>(given.Count);
        foreach (var item in given)
        {
            if (string.IsNullOrEmpty(item?.Id))
            {
                throw new BadRequestException("every feedback item needs the prediction's 'id'");
            }

            items.Add((item.Value, item.Label) switch
            {
                ({ } value, null) when double.IsFinite(value) => (item.Id, value, false),
                (null, { } label) => (item.Id, label ? 1 : 0, true),
                _ => throw new BadRequestException($"feedback for '{item.Id}' needs exactly one of a finite 'value' or a 'label'"),
            });
        }

        var outcome = journal.Join(items);
        var limits = journal.Limits;
        return TypedResults.Ok(new FeedbackResult(outcome.Joined, outcome.Unmatched, journal.Pending, limits.Capacity, limits.MaxAge.TotalSeconds, journal.Evicted));
    }
}
