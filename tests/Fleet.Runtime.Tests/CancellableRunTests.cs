using System.Diagnostics;
using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;
using Fleet.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Fleet.Runtime.Tests;

/// <summary>The async ONNX entry point stops when its caller stops waiting, and leaves the session usable.</summary>
public sealed class CancellableRunTests(ITestOutputHelper output)
{
    private const int Size = 512;
    // Enough work (seconds on a fast, quiet core) that the run is still going when the test cancels it, even when the
    // test's 300 ms delay wakes up late on a busy machine.
    private const int Nodes = 2000;

    private static LoadedModel Load(byte[] onnx)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, EnableCpuMemArena = false };
        return new LoadedModel("v", new InferenceSession(onnx, options), onnx.Length);
    }

    private static Tensor Rows(int rows, float first)
    {
        var data = new float[rows * Size];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = first + (i % 7);
        }

        return new Tensor("x", Datatype.Fp32, [rows, Size], data);
    }

    [Fact]
    public async Task A_run_cancelled_midway_stops_with_OperationCanceled_and_the_session_still_answers()
    {
        using var model = Load(OnnxModels.MatMulChain(Size, Nodes));
        using var cancellation = new CancellationTokenSource();
        var started = Stopwatch.StartNew();
        // 2,000 products of 512 x 512 matrices: seconds of work, stopped after a fraction of it.
        // On a thread of its own: a pool thread can start late when other test classes load the pool, and a run that had
        // not started when the token was cancelled is stopped before it, not midway.
        var run = Task.Factory.StartNew(() => InferenceEngine.RunAsync(model, [Rows(Size, 1)], null, cancellation.Token).AsTask(),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        await Task.Delay(300);
        Assert.False(run.IsCompleted, "the run finished before it could be cancelled: the model is too fast for this test");
        var cancelledAt = started.Elapsed;
        await cancellation.CancelAsync();

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        output.WriteLine($"cancelled at {cancelledAt.TotalMilliseconds:F0} ms, returned {(started.Elapsed - cancelledAt).TotalMilliseconds:F0} ms later");
        // Stopped by ONNX Runtime's terminate flag in the middle of the run, not before it started.
        Assert.IsType<OnnxRuntimeException>(e.InnerException);
        Assert.Equal(cancellation.Token, e.CancellationToken);

        var small = Rows(2, 3);
        var answer = Assert.Single(await InferenceEngine.RunAsync(model, [small], null, CancellationToken.None));
        Assert.Equal(small.Data, answer.Data);
        using var fresh = new CancellationTokenSource();
        answer = Assert.Single(await InferenceEngine.RunAsync(model, [small], null, fresh.Token));
        Assert.Equal(small.Data, answer.Data);
    }

    [Fact]
    public async Task A_model_that_never_answers_runs_until_its_run_is_cancelled_and_then_stops_at_once()
    {
        using var model = Load(OnnxModels.NeverAnswers([0.5f, -1f], 0.1f));
        using var cancellation = new CancellationTokenSource();
        var input = new Tensor("x", Datatype.Fp32, [1, 2], new float[] { 1, 2 });
        var run = Task.Factory.StartNew(() => InferenceEngine.RunAsync(model, [input], null, cancellation.Token).AsTask(),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        await Task.Delay(500);
        Assert.False(run.IsCompleted, "the spinning model answered on its own");
        var stopping = Stopwatch.StartNew();
        await cancellation.CancelAsync();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.IsType<OnnxRuntimeException>(e.InnerException);
        output.WriteLine($"stopped {stopping.Elapsed.TotalMilliseconds:F1} ms after the cancellation");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(2), $"the loop took {stopping.Elapsed.TotalMilliseconds:F0} ms to stop");
    }

    [Fact]
    public async Task A_token_cancelled_before_the_run_stops_it_before_it_starts()
    {
        using var model = Load(OnnxModels.MatMulChain(Size, Nodes));
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await InferenceEngine.RunAsync(model, [Rows(Size, 1)], null, new CancellationToken(canceled: true)));
        Assert.Null(e.InnerException);
    }

    [Fact]
    public async Task A_cancellable_run_that_is_not_cancelled_answers_like_the_synchronous_one()
    {
        using var model = Load(OnnxModels.LogisticRegression([0.5f, -1.25f, 2f], 0.1f));
        var input = new Tensor("x", Datatype.Fp32, [2, 3], new[] { 1f, 2, 3, -1, 0.5f, 0.25f });
        var expected = Assert.Single(InferenceEngine.Run(model, [input], null));
        for (var i = 0; i < 3; i++)
        {
            // Again and again, so that run options kept for reuse are reused.
            using var cancellation = new CancellationTokenSource();
            var answer = Assert.Single(await InferenceEngine.RunAsync(model, [input], null, cancellation.Token));
            Assert.Equal(expected.Data, answer.Data);
        }
    }

    [Fact]
    public async Task Caller_mistakes_stay_request_errors_on_the_async_entry()
    {
        using var model = Load(OnnxModels.LogisticRegression([0.5f, -1.25f, 2f], 0.1f));
        using var cancellation = new CancellationTokenSource();
        var e = await Assert.ThrowsAsync<InferRequestException>(
            async () => await InferenceEngine.RunAsync(model, [new Tensor("x", Datatype.Fp64, [1, 3], new double[3])], null, cancellation.Token));
        Assert.Contains("input 'x' must be FP32, not FP64", e.Message);
    }
}
