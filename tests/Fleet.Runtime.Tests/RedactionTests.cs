using Fleet.Runtime.Hosting;

namespace Fleet.Runtime.Tests;

/// <summary>Secrets in settings never reach a log line.</summary>
public sealed class RedactionTests
{
    [Theory]
    [InlineData("Host=db;Username=fleet;Password=s3cret-pw;Database=fleet", "s3cret-pw", "Host=db;Username=fleet;Password=***;Database=fleet")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=fleetacct;AccountKey=Eby8vdM02xNOcqFl+qUwJ/K1SZFPTOtr==;EndpointSuffix=core.windows.net", "Eby8vdM02xNOcqFl+qUwJ/K1SZFPTOtr==", "DefaultEndpointsProtocol=https;AccountName=fleetacct;AccountKey=***;EndpointSuffix=core.windows.net")]
    [InlineData("redis.local:6379,password=r3dis,ssl=true", "r3dis", "redis.local:6379,password=***,ssl=true")]
    [InlineData("Server=db; PWD = hunter2 ;Database=x", "hunter2", "Server=db; PWD=***;Database=x")]
    [InlineData("https://fleetacct.blob.core.windows.net/models?sv=2024-08-04&sig=AbC%2Fsig&se=2030", "AbC%2Fsig", "https://fleetacct.blob.core.windows.net/models?sv=2024-08-04&sig=***&se=2030")]
    [InlineData("postgres://fleet:pg-pass@db:5432/fleet", "pg-pass", "postgres://fleet:***@db:5432/fleet")]
    public void A_connection_string_is_logged_without_its_secret(string connectionString, string secret, string expected)
    {
        var shown = Redaction.ConnectionString(connectionString);

        Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        Assert.Equal(expected, shown);
    }

    [Fact]
    public void A_connection_string_without_secrets_is_unchanged()
    {
        Assert.Equal("Data Source=/var/fleet/state/fleet.db;Mode=ReadWriteCreate", Redaction.ConnectionString("Data Source=/var/fleet/state/fleet.db;Mode=ReadWriteCreate"));
    }

    [Fact]
    public void Options_are_described_with_secret_settings_and_connection_string_secrets_masked()
    {
        var options = new ExampleOptions
        {
            ConnectionString = "AccountName=fleetacct;AccountKey=topsecretkey==",
            AccountKey = "anothersecret",
            Container = "models",
            Retries = 3,
        };

        var described = Redaction.Describe(options);

        Assert.Equal("ConnectionString=AccountName=fleetacct;AccountKey=***, AccountKey=***, Container=models, Retries=3, Endpoint=(default)", described);
    }

    private sealed class ExampleOptions
    {
        public string? ConnectionString { get; set; }

        public string? AccountKey { get; set; }

        public string? Container { get; set; }

        public int Retries { get; set; }

        public string? Endpoint { get; set; }
    }
}
