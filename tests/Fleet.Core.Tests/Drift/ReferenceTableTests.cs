using System.Globalization;
using Fleet.Core.Drift;
using Fleet.Core.PredictionLogs;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests.Drift;

public sealed class ReferenceTableTests
{
    private static readonly ReplayInput[] Inputs = [new("x", Datatype.Fp32, [-1, 2]), new("temp", Datatype.Fp32, [-1, 1]), new("city", Datatype.Bytes, [-1])];

    private static string Csv(int rows, string header = "x[0],x[1],temp,city") =>
        header + "\n" + string.Join("\n", Enumerable.Range(0, rows).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},{i * 0.5},{20 + (i % 7)},\"{(i % 2 == 0 ? "dc" : "new, york")}\"")));

    [Fact]
    public void A_csv_sample_profiles_every_input_feature_as_served_rows_would()
    {
        var (columns, rows) = ReferenceTable.ParseCsv(Csv(100));
        var profile = ReferenceTable.Profile(Inputs, columns, rows, 64);

        Assert.Equal(100, rows);
        Assert.Equal(["city", "temp", "x[0]", "x[1]"], profile.Features);
        Assert.Equal(100, profile.Numeric["x[0]"].Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (double)i).Average(), profile.Numeric["x[0]"].Sums.Sum() / 100, 9);
        var expected = NumericProfile.Of(NumericBins.FromSample(Enumerable.Range(0, 100).Select(i => 20.0 + (i % 7))), Enumerable.Range(0, 100).Select(i => 20.0 + (i % 7)));
        Assert.Equal(expected.Bins.Cuts, profile.Numeric["temp"].Bins.Cuts);
        Assert.Equal(expected.Counts, profile.Numeric["temp"].Counts);
        Assert.Equal(["dc", "new, york"], profile.Categorical["city"].Categories.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Missing_and_unknown_columns_are_named_and_so_are_too_few_rows_and_text_where_numbers_go()
    {
        var missing = Assert.Throws<ReferenceDataException>(() => Profile(Csv(50, "x[0],x[1],tmp,city")));
        var text = Assert.Throws<ReferenceDataException>(() => Profile("x[0],x[1],temp,city\n" + string.Join("\n", Enumerable.Range(0, 40).Select(i => $"{i},1,warm,dc"))));
        var few = Assert.Throws<ReferenceDataException>(() => Profile(Csv(29)));
        var ragged = Assert.Throws<ReferenceDataException>(() => ReferenceTable.ParseCsv("a,b\n1,2\n3\n"));

        Assert.Equal("the reference data set does not match the signature: it lacks the column(s) 'temp' of the version's inputs, and has the column(s) 'tmp', which are not inputs of the version (it reads 'x[0]', 'x[1]', 'temp', 'city')", missing.Message);
        Assert.Equal("the reference column 'temp' holds text, and the version reads numbers there", text.Message);
        Assert.Equal("the reference data set has 29 row(s); give at least 30", few.Message);
        Assert.Equal("line 3 of the reference data set has 1 cells, and its header 2", ragged.Message);
    }

    [Fact]
    public void Quoted_cells_keep_commas_quotes_and_line_breaks_and_empty_cells_are_missing()
    {
        var (columns, rows) = ReferenceTable.ParseCsv("name,n\r\n\"a, \"\"b\"\"\r\nc\",1\r\n,\r\nplain,NaN\r\n");

        Assert.Equal(3, rows);
        Assert.Equal(new[] { "a, \"b\"\r\nc", null, "plain" }, (string?[])columns["name"]);
        var numbers = (double?[])columns["n"];
        Assert.Equal(1, numbers[0]);
        Assert.Null(numbers[1]);
        Assert.True(double.IsNaN(numbers[2]!.Value));
    }

    private static ProfileSet Profile(string csv)
    {
        var (columns, rows) = ReferenceTable.ParseCsv(csv);
        return ReferenceTable.Profile(Inputs, columns, rows, 64);
    }
}
