using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Serving;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Runs an ensemble for one request, in-process: its members in parallel through the same route cache, traffic router
/// and model host as single predictions (a member slice's canary and shadow apply to ensemble traffic too), each
/// bounded by its timeout; the quorum and failure rule (<see cref="EnsemblePolicy"/>) decides, after every member that
/// ends, whether to wait, answer or fail, and the answer never waits for a member past its timeout. Members still
/// running when the request ends, and all of them when the caller cancels, are cancelled.
/// </summary>
public sealed class EnsembleExecutor
{
    private readonly TrafficRouter _router;
    private readonly IMemberRoutes _routes;
    private readonly IEnsembleDefinitions _definitions;
    private readonly MemberInputs _inputs;
    private readonly ModelHost _host;
    private readonly TimeProvider _clock;
    private readonly EnsembleMetrics? _metrics;

    internal EnsembleExecutor(
        TrafficRouter router, IMemberRoutes routes, IEnsembleDefinitions definitions, MemberInputs inputs, ModelHost host, TimeProvider clock, EnsembleMetrics? metrics = null)
    {
        _metrics = metrics;
        _router = router;
        _routes = routes;
        _definitions = definitions;
        _inputs = inputs;
        _host = host;
        _clock = clock;
    }

    /// <summary>
    /// Predicts with the ensemble <paramref name="ensemble"/> for the caller's <paramref name="sliceKey"/>. A member
    /// refusing the caller's input is a <see cref="BadRequestException"/> naming the member; an ensemble none of whose
    /// lost members had a deployment is a <see cref="NotFoundException"/>; any other failure a <see cref="ModelExecutionException"/>.
    /// </summary>
    public async ValueTask<EnsembleAnswer> PredictAsync(string ensemble, string sliceKey, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        var stored = await _definitions.FindAsync(ensemble, cancellationToken) ?? throw new NotFoundException($"ensemble '{ensemble}' not found");
        return await PredictAsync(stored, sliceKey, request, cancellationToken);
    }

    /// <summary>Predicts with the definition <paramref name="stored"/> (one version of an ensemble) for the caller's <paramref name="sliceKey"/>; fails as <see cref="PredictAsync(string, string, ParsedInferRequest, CancellationToken)"/>.</summary>
    public async ValueTask<EnsembleAnswer> PredictAsync(StoredEnsemble stored, string sliceKey, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        var ensemble = stored.Name;
        var rows = RowsOf(request);
        var started = _clock.GetTimestamp();
        var (outcome, combined) = await RunAsync(stored, sliceKey, request, rows, depth: 1, cancellationToken);
        _metrics?.Record(ensemble, outcome, _clock.GetElapsedTime(started));
        switch (outcome.Verdict)
        {
            case EnsembleVerdict.Refuse:
                throw new BadRequestException($"ensemble '{ensemble}': {outcome.Failure}");
            case EnsembleVerdict.Fail when outcome.Dropped.Where(d => d.Status != MemberStatus.Skipped).All(d => d.Status == MemberStatus.NotDeployed):
                throw new NotFoundException($"ensemble '{ensemble}' cannot answer for slice '{sliceKey}': {outcome.Failure}");
            case EnsembleVerdict.Fail:
                throw new ModelExecutionException($"ensemble '{ensemble}' failed for slice '{sliceKey}': {outcome.Failure}");
        }

        var name = stored.Definition.OutputName;
        Tensor output = combined.Labels is { } labels
            ? combined.IntegerLabels
                ? new Tensor(name, Datatype.Int64, [rows], labels.Select(long.Parse).ToArray())
                : new Tensor(name, Datatype.Bytes, [rows], labels)
            : new Tensor(name, Datatype.Fp32, [rows, 1], combined.Values!.Select(v => (float)v).ToArray());
        return new EnsembleAnswer(ensemble, stored.Version, sliceKey, [output], outcome);
    }

    /// <summary>
    /// Whether the ensemble can answer for <paramref name="sliceKey"/>: at least its quorum of members has a deployment
    /// there (or in a fallback slice), nested ensembles counting when they can answer themselves.
    /// </summary>
    public async ValueTask<bool> ReadyAsync(string ensemble, string sliceKey, CancellationToken cancellationToken = default)
    {
        var stored = await _definitions.FindAsync(ensemble, cancellationToken) ?? throw new NotFoundException($"ensemble '{ensemble}' not found");
        return await ReadyAsync(stored.Definition, sliceKey, 1, cancellationToken);
    }

    private async ValueTask<bool> ReadyAsync(EnsembleDefinition definition, string sliceKey, int depth, CancellationToken cancellationToken)
    {
        var ready = 0;
        foreach (var member in definition.Members)
        {
            var key = member.Slice ?? sliceKey;
            var up = member.Kind == MemberKind.Model
                ? (await ResolveAsync(member, key)).Route is not null
                : depth < EnsembleDefinition.MaxDepth && await _definitions.FindAsync(member.Target, cancellationToken) is { } nested
                    && await ReadyAsync(nested.Definition, key, depth + 1, cancellationToken);
            ready += up ? 1 : 0;
        }

        return ready >= definition.Quorum;
    }

    private async Task<(EnsembleOutcome Outcome, MemberRun Combined)> RunAsync(
        StoredEnsemble stored, string sliceKey, ParsedInferRequest request, int rows, int depth, CancellationToken cancellationToken)
    {
        var definition = stored.Definition;
        var members = definition.Members;
        var runs = new MemberRun?[members.Count];
        var statuses = new MemberStatus?[members.Count];
        using var requestCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task<MemberRun>[members.Count];
        var labels = definition.Combiner.Kind == CombinerKind.MajorityVote;
        // Every member but the first goes to the thread pool; the first runs on the caller's thread, which would
        // otherwise only wait.
        for (var i = members.Count - 1; i >= 0; i--)
        {
            var member = members[i];
            tasks[i] = RunMemberAsync(member, sliceKey, request, rows, depth, labels, onPool: i != 0, requestCts.Token);
        }

        var pending = new List<Task<MemberRun>>(tasks);
        while (true)
        {
            for (var i = 0; i < tasks.Length; i++)
            {
                if (runs[i] is null && tasks[i].IsCompleted)
                {
                    runs[i] = await tasks[i];
                    statuses[i] = runs[i]!.Result.Status;
                    pending.Remove(tasks[i]);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (EnsemblePolicy.Decide(definition, statuses) != EnsembleVerdict.Wait)
            {
                break;
            }

            await Task.WhenAny(pending);
        }

        if (pending.Count > 0)
        {
            // Answered or failed: what still runs is not needed.
            await requestCts.CancelAsync();
        }

        var results = new MemberResult[members.Count];
        for (var i = 0; i < members.Count; i++)
        {
            results[i] = runs[i]?.Result ?? new MemberResult(members[i].Id, MemberStatus.Skipped, Reason: "not needed: the request ended before it answered");
        }

        var outcome = EnsemblePolicy.Outcome(definition, results);
        if (outcome.Verdict != EnsembleVerdict.Answer)
        {
            return (outcome, MemberRun.Lost(stored.Name, MemberStatus.Failed, outcome.Failure ?? "failed"));
        }

        var answered = Enumerable.Range(0, members.Count).Where(i => runs[i]?.Result.Status == MemberStatus.Answered).ToList();
        var combined = definition.Combiner.Kind switch
        {
            CombinerKind.MajorityVote => new MemberRun(
                new MemberResult(stored.Name, MemberStatus.Answered, sliceKey, stored.Version),
                Labels: EnsembleCombiners.Vote([.. answered.Select(i => new MemberLabels(members[i].Weight, runs[i]!.Labels!))], rows),
                IntegerLabels: answered.All(i => runs[i]!.IntegerLabels)),
            CombinerKind.Stacking => new MemberRun(
                new MemberResult(stored.Name, MemberStatus.Answered, sliceKey, stored.Version),
                await StackAsync(definition, [.. answered.Select(i => runs[i]!.Values!)], rows, cancellationToken)),
            _ => new MemberRun(
                new MemberResult(stored.Name, MemberStatus.Answered, sliceKey, stored.Version),
                EnsembleCombiners.Combine(definition.Combiner.Kind, [.. answered.Select(i => new MemberValues(members[i].Weight, runs[i]!.Values!))], rows)),
        };
        return (outcome, combined);
    }

    // One member within its timeout. A member that ignores cancellation still counts as timed out at its deadline:
    // the answer never waits for it; its work is told to stop and left to end on its own. A model run blocks the thread
    // that starts it, so a member on the pool is started there and its timeout watched from here, at once; the member
    // run on the caller's thread gets a timer that cancels its token at the deadline instead, which stops its run
    // (ONNX Runtime's terminate flag): without either, a run that never ends would hold the request until the server's
    // inference timeout.
    private async Task<MemberRun> RunMemberAsync(
        EnsembleMember member, string sliceKey, ParsedInferRequest request, int rows, int depth, bool labels, bool onPool, CancellationToken requestToken)
    {
        var memberCts = CancellationTokenSource.CreateLinkedTokenSource(requestToken);
        using var deadline = onPool ? null : _clock.CreateTimer(static cts => Cancel((CancellationTokenSource)cts!), memberCts, member.Timeout, Timeout.InfiniteTimeSpan);
        Task<MemberRun>? work = null;
        try
        {
            work = onPool
                ? Task.Run(() => PredictMemberAsync(member, sliceKey, request, rows, depth, labels, memberCts.Token), CancellationToken.None)
                : PredictMemberAsync(member, sliceKey, request, rows, depth, labels, memberCts.Token);
            return await work.WaitAsync(member.Timeout, _clock, requestToken);
        }
        catch (TimeoutException)
        {
            await memberCts.CancelAsync();
            return MemberRun.Lost(member.Id, MemberStatus.TimedOut, $"no answer within {member.Timeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (requestToken.IsCancellationRequested)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Skipped, "cancelled: the request ended");
        }
        finally
        {
            if (work is null || work.IsCompleted)
            {
                memberCts.Dispose();
            }
            else
            {
                // The work may still read its token: dispose the source only when it is done.
                _ = work.ContinueWith(static (_, cts) => ((CancellationTokenSource)cts!).Dispose(), memberCts, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private static void Cancel(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The member ended, and its source was disposed, as the timer fired.
        }
    }

    private async Task<MemberRun> PredictMemberAsync(
        EnsembleMember member, string sliceKey, ParsedInferRequest request, int rows, int depth, bool labels, CancellationToken cancellationToken)
    {
        var key = member.Slice ?? sliceKey;
        try
        {
            return member.Kind == MemberKind.Ensemble
                ? await NestedAsync(member, key, request, rows, depth, cancellationToken)
                : await ModelAsync(member, key, request, rows, labels, cancellationToken);
        }
        catch (BadRequestException e)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Refused, e.Message, key);
        }
        catch (Exception e) when (e is ModelExecutionException or ArtifactCorruptException or NotFoundException)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Failed, e.Message, key);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by its timeout (the caller's cancellation is seen by the caller of this member).
            return MemberRun.Lost(member.Id, MemberStatus.TimedOut, $"no answer within {member.Timeout.TotalMilliseconds:0} ms", key);
        }
    }

    private async Task<MemberRun> ModelAsync(EnsembleMember member, string key, ParsedInferRequest request, int rows, bool labels, CancellationToken cancellationToken)
    {
        var (slice, route) = await ResolveAsync(member, key);
        if (route is not { } found)
        {
            var tried = string.Join(", ", new[] { key }.Concat(member.Fallback).Select(k => $"'{k}'"));
            return MemberRun.Lost(member.Id, MemberStatus.NotDeployed, $"model '{member.Target}' has no deployment for slice {tried}", key);
        }

        // The caller's id stays with the ensemble: member answers are not journaled under it.
        var inputs = await _inputs.SelectAsync(found.Stable, request.Inputs, cancellationToken);
        var memberRequest = request with { Id = null, Slice = null, Inputs = inputs, RequestedOutputs = member.Output.Name is { } name ? [name] : null };
        var prediction = await _router.PredictAsync(slice, found, memberRequest, cancellationToken);
        var output = member.Output.Name is { } wanted ? prediction.Outputs.FirstOrDefault(o => o.Name == wanted) : (prediction.Outputs.Count > 0 ? prediction.Outputs[0] : null);
        var result = new MemberResult(member.Id, MemberStatus.Answered, slice.Key, prediction.Version);
        if (output is null)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Failed, $"version {VersionId.Short(prediction.Version)} answered without output '{member.Output.Name}'", slice.Key);
        }

        return ReadMember(member, result, output, rows, labels);
    }

    // A vote reads labels (integers or strings); every other combiner reads numbers.
    private static MemberRun ReadMember(EnsembleMember member, MemberResult result, Tensor output, int rows, bool labels)
    {
        string? problem;
        if (labels)
        {
            var read = EnsembleCombiners.ReadLabels(output, rows, member.Output.Index, out problem);
            return read is null
                ? MemberRun.Lost(member.Id, MemberStatus.Failed, problem!, result.Slice)
                : new MemberRun(result, Labels: read, IntegerLabels: output.Type != Datatype.Bytes);
        }

        var values = EnsembleCombiners.ReadValues(output, rows, member.Output, out problem);
        return values is null ? MemberRun.Lost(member.Id, MemberStatus.Failed, problem!, result.Slice) : new MemberRun(result, values);
    }

    private async Task<MemberRun> NestedAsync(EnsembleMember member, string key, ParsedInferRequest request, int rows, int depth, CancellationToken cancellationToken)
    {
        if (depth >= EnsembleDefinition.MaxDepth)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Failed, $"ensembles nest deeper than {EnsembleDefinition.MaxDepth}", key);
        }

        if (await _definitions.FindAsync(member.Target, cancellationToken) is not { } nested)
        {
            return MemberRun.Lost(member.Id, MemberStatus.Failed, $"ensemble '{member.Target}' not found", key);
        }

        var (outcome, combined) = await RunAsync(nested, key, request, rows, depth + 1, cancellationToken);
        return outcome.Verdict switch
        {
            EnsembleVerdict.Answer => combined with { Result = new MemberResult(member.Id, MemberStatus.Answered, key, nested.Version) },
            EnsembleVerdict.Refuse => MemberRun.Lost(member.Id, MemberStatus.Refused, $"ensemble '{member.Target}': {outcome.Failure}", key),
            _ => MemberRun.Lost(member.Id, MemberStatus.Failed, $"ensemble '{member.Target}': {outcome.Failure}", key),
        };
    }

    private async ValueTask<(SliceId Slice, PredictionRoute? Route)> ResolveAsync(EnsembleMember member, string key)
    {
        var slice = new SliceId(member.Target, key);
        if (await _routes.RouteAsync(slice) is { } route)
        {
            return (slice, route);
        }

        foreach (var fallback in member.Fallback)
        {
            var other = new SliceId(member.Target, fallback);
            if (await _routes.RouteAsync(other) is { } found)
            {
                return (other, found);
            }
        }

        return (slice, null);
    }

    // The meta-model takes one FP32 [rows, members] input, one column per member in definition order.
    private async ValueTask<double[]> StackAsync(EnsembleDefinition definition, List<double[]> columns, int rows, CancellationToken cancellationToken)
    {
        var version = definition.Combiner.MetaVersion!;
        var input = (await _inputs.NamesAsync(version, cancellationToken)).First();
        var data = new float[rows * columns.Count];
        for (var row = 0; row < rows; row++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                data[(row * columns.Count) + c] = (float)columns[c][row];
            }
        }

        var outputs = await _host.RunAsync(version, [new Tensor(input, Datatype.Fp32, [rows, columns.Count], data)], null, cancellationToken);
        return EnsembleCombiners.ReadValues(outputs[0], rows, new MemberOutput(null), out var problem)
            ?? throw new ModelExecutionException($"meta-model {VersionId.Short(version)}: {problem}");
    }

    private static int RowsOf(ParsedInferRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Min(int.MaxValue, request.Inputs[0].Shape[0]) : 1;
}
