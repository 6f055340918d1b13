using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Simulation;

/// <summary>One canary of a candidate that fails every request, under steady load, timed on the wall clock.</summary>
/// <param name="Index">Repeat number (1-based).</param>
/// <param name="Slice">The slice.</param>
/// <param name="Started">From the deploy call's return to the rollout's StartedAt (negative: the rollout starts inside the call).</param>
/// <param name="RolledBackPolled">From the deploy call's return to the first 20 ms poll that read rolled_back.</param>
/// <param name="RolledBackAt">From the deploy call's return to the rollout's EndedAt (server clock, same machine).</param>
/// <param name="FirstCandidateRouted">From the deploy call's return to the first request routed to the candidate (negative: before the call returned).</param>
/// <param name="LastCandidateRouted">From the deploy call's return to the last request routed to the candidate: traffic back on stable.</param>
/// <param name="CandidateRouted">Requests routed to the candidate (each failed there and was answered by stable).</param>
/// <param name="Requests">Requests sent during the repeat.</param>
/// <param name="AnsweredByCandidate">Responses whose model_version was the candidate.</param>
/// <param name="Failed">Requests that failed for the caller.</param>
/// <param name="AchievedRate">Requests per second actually sent.</param>
/// <param name="MaxLateness">Largest delay of a send behind its schedule.</param>
/// <param name="Message">The rollback's reason as the slice reports it.</param>
internal sealed record HardFailureRepeat(
    int Index,
    string Slice,
    double Started,
    double RolledBackPolled,
    double RolledBackAt,
    double FirstCandidateRouted,
    double LastCandidateRouted,
    int CandidateRouted,
    int Requests,
    int AnsweredByCandidate,
    int Failed,
    double AchievedRate,
    double MaxLateness,
    string Message);

/// <summary>The hard-failure experiment's settings and repeats.</summary>
/// <param name="Repeats">Each repeat.</param>
/// <param name="RequestsPerSecond">The open-loop rate.</param>
/// <param name="ReportInterval">The server's rollout report interval (its default).</param>
/// <param name="Floor">Simulated floor of the time to rollback (arrival of the 5th candidate request): median and p90, seconds.</param>
/// <param name="Wall">Wall time of the whole experiment.</param>
internal sealed record HardFailureResult(IReadOnlyList<HardFailureRepeat> Repeats, double RequestsPerSecond, TimeSpan ReportInterval, (double Median, double P90) Floor, TimeSpan Wall);

/// <summary>
/// A real Fleet server in process (<see cref="FleetServerFixture"/>: Kestrel on loopback, one silo, SQLite in a temp
/// folder, the default 250 ms rollout report interval); a stable logistic regression on a slice; then a canary of a
/// model that fails every request, under a steady open-loop load, and the wall time until it is rolled back and
/// until the candidate gets no more traffic.
/// </summary>
internal static class HardFailureExperiment
{
    private const string Model = "hardfail";
    private static readonly float[] Weights = [0.5f, -1.25f, 2f];

    /// <summary>Runs <paramref name="repeats"/> canaries, one slice each, at <paramref name="requestsPerSecond"/>.</summary>
    public static async Task<HardFailureResult> RunAsync(int repeats, double requestsPerSecond, ulong seed, Action<string> log)
    {
        var watch = Stopwatch.StartNew();
        var server = new FleetServerFixture();

        // Orleans complains at shutdown about route observers it can no longer reach, and Polly about its retries: noise here.
        server.Settings["Logging:LogLevel:Orleans.Messaging"] = "Critical";
        server.Settings["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error";
        server.Settings["Logging:LogLevel:Orleans.Runtime.Watchdog"] = "Error";
        server.Settings["Logging:LogLevel:Polly"] = "Error";
        await server.InitializeAsync();
        var fallbacks = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Fleet" && instrument.Name == "fleet.canary.fallbacks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => fallbacks.Enqueue(Stopwatch.GetTimestamp()));
        listener.Start();
        try
        {
            var client = server.Client;
            var stable = (await client.PushAsync(Model, OnnxModels.LogisticRegression(Weights, 0.1f))).Version.Version;
            var candidate = (await client.PushAsync(Model, OnnxModels.FailsAtRuntime(3, output: "probability"))).Version.Version;
            var slices = Enumerable.Range(1, repeats).Select(i => $"run={i}").ToArray();
            await client.DeployAsync(Model, new DeployRequest { Version = stable, Slices = slices });

            // Warm up: JIT, connections, both sessions loaded (a pinned call loads the candidate, then fails in it).
            using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                await new OpenLoopLoad(client, Model, slices[0], requestsPerSecond, SimRandom.Derive(seed, -1)).RunAsync(warm.Token);
            }

            try
            {
                await client.PredictAsync(Model, slices[0], [Row(new SimRandom(1))], version: candidate);
            }
            catch (FleetException)
            {
                // Expected: the candidate fails every request.
            }

            var results = new List<HardFailureRepeat>();
            for (var i = 0; i < repeats; i++)
            {
                results.Add(await RepeatAsync(client, i + 1, slices[i], candidate, stable, requestsPerSecond, SimRandom.Derive(seed, i), fallbacks));
                var r = results[^1];
                log(Fmt.Inv($"  hard failure #{r.Index}: rolled back after {Fmt.Ms(r.RolledBackPolled)} (polled), last candidate request {Fmt.Ms(r.LastCandidateRouted)}, {r.CandidateRouted} routed to it, {r.AnsweredByCandidate} answered by it, {r.Failed} failed"));
            }

            return new HardFailureResult(results, requestsPerSecond, TimeSpan.FromMilliseconds(250), Floor(requestsPerSecond * 0.05, (int)Fleet.Core.Rollouts.Gates.DefaultGates.HardFailure.FirstFailures, seed), watch.Elapsed);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<HardFailureRepeat> RepeatAsync(
        FleetClient client, int index, string slice, string candidate, string stable, double rate, ulong seed, ConcurrentQueue<long> fallbacks)
    {
        fallbacks.Clear();
        var load = new OpenLoopLoad(client, Model, slice, rate, seed);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var running = load.RunAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1)); // steady load on stable first

        var rollout = new RolloutRequest { Strategy = RolloutStrategies.Canary, Steps = [5, 25, 50, 100], StepSeconds = 60 };
        var deploy = await client.DeployAsync(Model, new DeployRequest { Version = candidate, Slices = [slice], Rollout = rollout, Reason = "hard failure experiment" });
        var returned = Stopwatch.GetTimestamp();
        var returnedUtc = DateTimeOffset.UtcNow;
        if (deploy.RolloutsStarted != 1)
        {
            throw new InvalidOperationException($"the canary did not start on {slice}: {string.Join("; ", deploy.Slices.Select(s => s.Outcome + " " + s.Detail))}");
        }

        double polled = double.NaN, ended = double.NaN, startedAt = double.NaN;
        var message = "";
        while (Stopwatch.GetElapsedTime(returned) < TimeSpan.FromSeconds(30))
        {
            var status = (await client.GetSliceAsync(Model, slice)).Rollout;
            if (status?.Phase == RolloutPhases.RolledBack)
            {
                polled = Stopwatch.GetElapsedTime(returned).TotalSeconds;
                ended = ((status.EndedAt ?? returnedUtc) - returnedUtc).TotalSeconds;
                startedAt = (status.StartedAt - returnedUtc).TotalSeconds;
                message = status.Message;
                break;
            }

            await Task.Delay(20);
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // keep the load on: nothing more may reach the candidate
        await stop.CancelAsync();
        var sent = await running;
        var routed = fallbacks.ToArray();
        double Since(long timestamp) => Stopwatch.GetElapsedTime(returned, timestamp).TotalSeconds;
        var sends = sent.Select(s => s.SentAt).ToArray();
        var span = sends.Length > 1 ? Stopwatch.GetElapsedTime(sends.Min(), sends.Max()).TotalSeconds : 1;
        return new HardFailureRepeat(index, slice, startedAt, polled, ended,
            routed.Length > 0 ? Since(routed.Min()) : double.NaN,
            routed.Length > 0 ? Since(routed.Max()) : double.NaN,
            routed.Length, sent.Count, sent.Count(s => s.Version == candidate), sent.Count(s => s.Version is null),
            (sent.Count - 1) / span, sent.Count > 0 ? sent.Max(s => s.Lateness) : 0, message);
    }

    /// <summary>
    /// The floor the rule itself sets: with the stable at zero errors the hard failure needs its first
    /// <paramref name="minRequests"/> candidate requests (FirstFailures, 3) to fail, which at
    /// <paramref name="candidateRate"/> requests/s arrive after a Gamma(k, rate) time; the silo then reports at once
    /// (after 3 consecutive candidate failures it nudges its reporter instead of waiting for the next tick).
    /// </summary>
    private static (double Median, double P90) Floor(double candidateRate, int minRequests, ulong seed)
    {
        var random = new SimRandom(SimRandom.Derive(seed, 99));
        var samples = new double[100_000];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = 0.0;
            for (var k = 0; k < minRequests; k++)
            {
                t -= Math.Log(1 - random.NextDouble()) / candidateRate;
            }

            samples[i] = t;
        }

        return (Fmt.Quantile(samples, 0.5), Fmt.Quantile(samples, 0.9));
    }

    /// <summary>One random input row for the logistic regression.</summary>
    public static InferInput Row(SimRandom random) =>
        new("x", "FP32", [1, 3], new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() });

    /// <summary>What one request did.</summary>
    /// <param name="SentAt">Stopwatch timestamp of the send.</param>
    /// <param name="Version">The version that answered, or null when the request failed.</param>
    /// <param name="Lateness">Seconds behind its schedule when sent.</param>
    internal readonly record struct Sent(long SentAt, string? Version, double Lateness);

    /// <summary>A fixed schedule of requests (open loop: a slow answer never delays the next send), random routing keys.</summary>
    private sealed class OpenLoopLoad(FleetClient client, string model, string slice, double rate, ulong seed)
    {
        private readonly SimRandom _random = new(seed);

        public async Task<List<Sent>> RunAsync(CancellationToken stop)
        {
            var period = Stopwatch.Frequency / rate;
            var start = Stopwatch.GetTimestamp();
            var requests = new List<Task<Sent>>();
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                var due = start + (long)(i * period);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                var now = Stopwatch.GetTimestamp();
                requests.Add(SendAsync(now, Stopwatch.GetElapsedTime(due, now).TotalSeconds, $"user-{_random.Next() % 1_000_000_000}", Row(_random)));
            }

            return [.. await Task.WhenAll(requests)];
        }

        private async Task<Sent> SendAsync(long sentAt, double lateness, string key, InferInput row)
        {
            try
            {
                var response = await client.PredictAsync(model, slice, [row], routingKey: key);
                return new Sent(sentAt, response.ModelVersion, lateness);
            }
            catch (Exception e) when (e is FleetException or HttpRequestException or TaskCanceledException)
            {
                return new Sent(sentAt, null, lateness);
            }
        }
    }
}
