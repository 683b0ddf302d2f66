using System.Text;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>Kestrel's own body limit set far below the import limit, as its 30 MB default is below the 1 GiB one.</summary>
public sealed class SmallServerLimitFixture : ControlPlaneFixture
{
    public const int ServerLimit = 2048;

    protected override bool UseKestrel => true;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        KeyValuePair.Create<string, string?>("Kestrel:Limits:MaxRequestBodySize", ServerLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        KeyValuePair.Create<string, string?>("Import:MaxBodyBytes", "1048576"),
    ];
}

public sealed class ServerBodyLimitTests(SmallServerLimitFixture fixture) : DatabaseTest(fixture), IClassFixture<SmallServerLimitFixture>
{
    [Fact]
    public async Task Imports_up_to_the_import_limit_pass_the_servers_own_smaller_body_limit()
    {
        var prices = Bodies.Prices(500);
        var body = Bodies.Ndjson(prices);
        Assert.True(Encoding.UTF8.GetByteCount(body) > SmallServerLimitFixture.ServerLimit * 10);

        var withLength = await Client.ImportAsync("price", body);
        using var streamed = new StreamedContent([.. prices.Take(499).Select(p => p.NdjsonLine())], DatasetsClient.Ndjson);
        using var response = await Client.PostVersionAsync("price", streamed);

        Assert.Equal(Bodies.HashOf(prices), withLength.ContentHash);
        Assert.Equal(Bodies.HashOf(prices.Take(499)), (await Http.ReadAsync<VersionDto>(response, System.Net.HttpStatusCode.Created)).ContentHash);
    }
}
