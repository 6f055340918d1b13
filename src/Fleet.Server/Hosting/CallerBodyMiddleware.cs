namespace Fleet.Server.Hosting;

/// <summary>
/// Makes a malformed request body the caller's mistake wherever it is read. Kestrel reports some framing errors
/// as a plain <see cref="IOException"/> (an overflowing chunk size is "Bad chunk size data" around an
/// <see cref="OverflowException"/>), which every reader would otherwise pass on as a 500.
/// </summary>
internal sealed class CallerBodyMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            return next(context);
        }

        context.Request.Body = new CallerBodyStream(context.Request.Body);
        return next(context);
    }
}

/// <summary>A request body whose read failures other than the framework's own are a 400 naming the problem.</summary>
internal sealed class CallerBodyStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Malformed(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Malformed(e);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static BadHttpRequestException Malformed(IOException e) =>
        new($"the request body could not be read: {e.Message.TrimEnd('.')} (malformed chunked encoding or a broken connection)", StatusCodes.Status400BadRequest, e);
}
