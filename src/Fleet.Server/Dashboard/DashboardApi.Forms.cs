using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Access;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Waves;
using Fleet.Server.Access;
using Fleet.Server.Apis;

namespace Fleet.Server.Dashboard;

/// <summary>The dashboard's forms: sign-in, sign-out and the actions with their confirmation.</summary>
internal static partial class DashboardApi
{
    private static async Task<IResult> SignInAsync(HttpContext context, ApiKeyDirectory keys, JwtTokens tokens)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        var returnTo = SafeReturn(form["return"]);
        var text = form["key"].ToString().Trim();
        if (JwtTokens.LooksLikeToken(text))
        {
            // A token of the identity provider signs in as its subject, with its roles, until it expires.
            var (identity, refusal) = await tokens.ValidateAsync(text, "dashboard");
            if (identity is null)
            {
                return Html(DashboardPages.SignIn(refusal, returnTo), StatusCodes.Status401Unauthorized);
            }

            var roles = identity.FindAll(FleetClaims.Role).Select(c => c.Value).ToList();
            if (!roles.Any(r => AccessRoles.Grants(r, AccessRoles.Reader) || AccessRoles.Grants(r, AccessRoles.Operator)))
            {
                return Html(DashboardPages.SignIn($"the token of {identity.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value} has {(roles.Count > 0 ? string.Join(", ", roles) : "no Fleet role")}; the dashboard needs the reader role (or operator, or admin)", returnTo), StatusCodes.Status403Forbidden);
            }

            DashboardSession.SignIn(context, text);
            return Results.Redirect(returnTo);
        }

        if (ApiKeySecret.TryParse(text, out var problem) is not { } secret)
        {
            return Html(DashboardPages.SignIn(problem, returnTo), StatusCodes.Status401Unauthorized);
        }

        if (await keys.FindAsync(secret, context.RequestAborted) is not { } key)
        {
            return Html(DashboardPages.SignIn($"the API key {ApiKeySecret.Prefix}{secret.Id} is unknown or revoked", returnTo), StatusCodes.Status401Unauthorized);
        }

        if (!key.Roles.Any(r => AccessRoles.Grants(r, AccessRoles.Reader) || AccessRoles.Grants(r, AccessRoles.Operator)))
        {
            return Html(DashboardPages.SignIn($"key {ApiKeySecret.Prefix}{key.Id} has {string.Join(", ", key.Roles)}; the dashboard needs the reader role (or operator, or admin)", returnTo), StatusCodes.Status403Forbidden);
        }

        DashboardSession.SignIn(context, text);
        return Results.Redirect(returnTo, permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        if (DashboardSession.ViewerOf(context) is { } viewer && DashboardSession.TokenMatches(viewer, form[DashboardSession.TokenField]))
        {
            DashboardSession.SignOut(context);
        }

        return Results.Redirect(DashboardSession.Root + "/sign-in");
    }

    private static async Task<IResult> ActAsync(HttpContext context, DeploymentService deployments, WaveService waves)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        var model = form["model"].ToString();
        if (Gate(context, model.Length == 0 ? null : model) is { } refusal)
        {
            return refusal;
        }

        var viewer = DashboardSession.ViewerOf(context)!;
        if (!DashboardSession.TokenMatches(viewer, form[DashboardSession.TokenField]))
        {
            return Html(DashboardPages.Problem(viewer, "Refused", "the form's token does not match this session: reload the page and try again"), StatusCodes.Status400BadRequest);
        }

        if (!viewer.CanAct)
        {
            return Html(DashboardPages.Problem(viewer, "Not allowed", $"this needs the '{AccessRoles.Operator}' role (or admin); key {viewer.KeyId} has {string.Join(", ", viewer.Roles)}"), StatusCodes.Status403Forbidden);
        }

        var kind = form["kind"].ToString();
        var target = form["target"].ToString();
        var action = form["action"].ToString();
        var reason = form["reason"].ToString() is { Length: > 0 } r ? r.Trim() : null;
        var returnTo = SafeReturn(form["return"]);
        return await Guarded(context, async _ =>
        {
            if (kind is not ("slice" or "wave" or "version") || target.Length == 0)
            {
                throw new BadRequestException("an action names a kind (slice, wave or version) and a target");
            }

            if (action is not (RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Rollback))
            {
                throw new BadRequestException($"unknown action '{action}': pause, resume, promote or rollback");
            }

            if (form["confirmed"] != "yes")
            {
                var count = kind switch
                {
                    "slice" => 1,
                    "wave" => Active(await waves.GetAsync(model, target, context.RequestAborted)),
                    _ => (await deployments.ListAllSlicesAsync(model, context.RequestAborted)).Count(s => SliceStates.IsActive(s.Rollout) && s.Rollout!.Candidate == target),
                };
                return Html(DashboardPages.Confirm(viewer, new PendingAction(model, kind, target, action, reason, count, returnTo)));
            }

            var actor = Actors.Of(context, "dashboard");
            string done;
            if (kind == "wave")
            {
                var wave = await waves.ActAsync(model, target, action, actor, reason, context.RequestAborted);
                done = $"{DashboardPages.ActionVerb(action)}: wave {wave.WaveId} is {wave.Phase.Replace('_', ' ')}. {wave.Message}";
            }
            else
            {
                var request = kind == "slice" ? new RolloutActionRequest { Slices = [target], Reason = reason } : new RolloutActionRequest { Version = target, Reason = reason };
                var result = await deployments.ActAsync(model, action, request, actor, context.RequestAborted);
                done = $"{DashboardPages.ActionVerb(action)}: {result.Changed} {(result.Changed == 1 ? "slice" : "slices")} changed, {result.Unchanged} unchanged.";
            }

            return Results.Redirect(returnTo + (returnTo.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "notice=" + Uri.EscapeDataString(done));
        });
    }

    private static int Active(WaveStatus wave) => wave.SlicesByPhase.Where(p => p.Key is not (RolloutPhases.Promoted or RolloutPhases.RolledBack)).Sum(p => p.Value);

    // The posted form, or null when the body is not one (the pages' forms always are).
    private static async Task<IFormCollection?> FormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            return await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            // A multipart body whose boundary or sections do not parse is the caller's mistake.
            throw new BadRequestException("the form does not parse: " + e.Message);
        }
    }

    private static IResult NotAForm(HttpContext context) => Html(DashboardPages.Problem(DashboardSession.ViewerOf(context), "Not a form",
        $"the dashboard's actions take a form (application/x-www-form-urlencoded or multipart/form-data); this request sent {context.Request.ContentType ?? "no content type"}"),
        StatusCodes.Status415UnsupportedMediaType);

    // Only a path of the dashboard itself: a return address never leads off the site.
    private static string SafeReturn(string? returnTo) =>
        returnTo is { Length: > 0 } r && r.StartsWith(DashboardSession.Root, StringComparison.Ordinal) && !r.StartsWith("//", StringComparison.Ordinal) && !r.Contains('\\', StringComparison.Ordinal)
            && !r.Any(char.IsControl) ? r : DashboardSession.Root;
}
