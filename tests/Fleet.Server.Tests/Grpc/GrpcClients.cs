using System.Runtime.InteropServices;
using Fleet.Server.Grpc;
using Fleet.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Inference;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Server.Tests.Grpc;

/// <summary>A gRPC client of a test server, generated from the public proto, and the message pieces the tests build.</summary>
internal sealed class GrpcClients : IDisposable
{
    private readonly GrpcChannel _channel;

    public GrpcClients(FleetServerFixture server)
    {
        // http:// means HTTP/2 with prior knowledge, on the server's gRPC port.
        Address = server.Services.GetRequiredService<GrpcEndpoint>().Address;
        _channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        Inference = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
    }

    public Uri Address { get; }

    public GRPCInferenceService.GRPCInferenceServiceClient Inference { get; }

    /// <summary>Call metadata carrying <paramref name="key"/> the way REST clients send it.</summary>
    public static Metadata Key(string key = TestKeys.Admin) => new() { { "authorization", "Bearer " + key } };

    public static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, long[] shape, InferTensorContents? contents = null)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype, Contents = contents };
        input.Shape.AddRange(shape);
        return input;
    }

    public static InferTensorContents Floats(params float[] values)
    {
        var contents = new InferTensorContents();
        contents.Fp32Contents.AddRange(values);
        return contents;
    }

    public static ByteString Raw<T>(params T[] values)
        where T : unmanaged => ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));

    public static T[] FromRaw<T>(ByteString raw)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(raw.Span).ToArray();

    public static ModelInferRequest Request(string model, params ModelInferRequest.Types.InferInputTensor[] inputs)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.AddRange(inputs);
        return request;
    }

    public void Dispose() => _channel.Dispose();
}
