namespace Fleet.Server.Grpc;

/// <summary>Settings of the OIP gRPC endpoint (<c>Fleet:Grpc</c>).</summary>
public sealed class GrpcOptions
{
    /// <summary>The HTTP/2 port of the gRPC service, on the host of the first REST URL (the shipped appsettings.json sets 5081; 0 picks a free port).</summary>
    public int Port { get; set; }

    /// <summary>Each problem with the settings, naming the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (Port is < 0 or > 65535)
        {
            yield return $"{GrpcHosting.PortSetting} must be a port (0-65535; 0 picks a free one), is {Port}";
        }
    }
}
