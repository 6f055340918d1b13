using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.Server.Grpc;
using Fleet.Server.Tests.Grpc;
using Fleet.TestSupport;
using Grpc.Net.Client;
using Inference;
using Microsoft.Extensions.DependencyInjection;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>A server whose REST and gRPC ports speak TLS with a certificate from its configuration (Kestrel's default certificate).</summary>
public sealed class HttpsServer : FleetServerFixture
{
    private readonly TempDirectory _certificates = new("https");

    public X509Certificate2 Certificate { get; }

    public HttpsServer()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fleet.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_certificates.Path, "fleet.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "test-password"));
        Certificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        Settings["urls"] = "https://127.0.0.1:0";
        Settings["Kestrel:Certificates:Default:Path"] = path;
        Settings["Kestrel:Certificates:Default:Password"] = "test-password";
    }

    /// <summary>A handler that trusts exactly this server's certificate, as a client given the server's CA would.</summary>
    public HttpClientHandler Trusting() => new()
    {
        ServerCertificateCustomValidationCallback = (_, presented, _, errors) =>
            presented is not null && presented.Thumbprint == Certificate.Thumbprint && errors == SslPolicyErrors.RemoteCertificateChainErrors,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Certificate.Dispose();
        _certificates.Dispose();
    }
}

/// <summary>HTTPS on the REST port and TLS on the gRPC port, configured by Kestrel's certificate settings alone.</summary>
public sealed class HttpsTests(HttpsServer server) : IClassFixture<HttpsServer>
{
    [Fact]
    public async Task The_sdk_pushes_deploys_and_predicts_over_https_and_grpc_answers_over_tls()
    {
        Assert.Equal("https", server.BaseAddress.Scheme);
        using var http = new HttpClient(server.Trusting()) { BaseAddress = server.BaseAddress };
        using var client = new FleetClient(http) { ApiKey = TestKeys.Admin };
        var model = UniqueModel("tls");
        var version = (await client.PushAsync(model, Model())).Version.Version;
        await client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });
        var answer = await client.PredictAsync(model, "s=1", [X(1, 2, 3)]);
        Assert.Equal(version, answer.ModelVersion);

        var grpc = server.Services.GetRequiredService<GrpcEndpoint>().Address;
        Assert.Equal("https", grpc.Scheme);
        using var channel = GrpcChannel.ForAddress(grpc, new GrpcChannelOptions { HttpHandler = server.Trusting() });
        var live = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ServerLiveAsync(new ServerLiveRequest());
        Assert.True(live.Live);
        var metadata = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelMetadataAsync(new ModelMetadataRequest { Name = $"{model}@s=1" }, GrpcClients.Key());
        Assert.Equal(version, Assert.Single(metadata.Versions));
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused_and_plain_http_gets_no_answer()
    {
        using var untrusting = new HttpClient { BaseAddress = server.BaseAddress };
        var tls = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("v2/health/live"));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(tls.InnerException);

        using var plain = new HttpClient { BaseAddress = new UriBuilder(server.BaseAddress) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("v2/health/live"));
    }
}
