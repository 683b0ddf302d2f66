using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class CsvValidationTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task An_unknown_CSV_column_is_refused_on_line_1_naming_the_column()
    {
        var body = "sku,amount,currency,discount\r\nX-1,1,EUR,5\r\n";

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Csv, (1, "discount"));
    }

    [Fact]
    public async Task An_op_column_in_a_full_CSV_snapshot_is_refused()
    {
        var body = "op,sku,available\r\nupsert,X-1,1\r\n";

        await RejectedImport.AssertAsync(Client, Database, "stock", body, "", DatasetsClient.Csv, (1, "op"));
    }

    [Fact]
    public async Task A_CSV_cell_of_the_wrong_type_is_refused_naming_its_line_counting_the_header()
    {
        var body = "sku,amount,currency\r\nX-1,1,EUR\r\nX-2,abc,EUR\r\nX-3,2,EUR\r\n";

        await RejectedImport.AssertAsync(Client, Database, "price", body, "", DatasetsClient.Csv, (3, "amount"));
    }

    [Fact]
    public async Task A_duplicate_SKU_in_CSV_names_both_lines()
    {
        var body = "sku,available\r\nX-1,1\r\nX-2,2\r\nX-1,3\r\n";

        var problem = await RejectedImport.AssertAsync(Client, Database, "stock", body, "", DatasetsClient.Csv, (4, "sku"));

        Assert.Contains("line 2", problem.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CSV_rule_violations_name_line_and_field()
    {
        var body = "sku,title,category,attributes\r\nX-1,,c,\r\nX-2,t,c,\"{\"\"a\"\":1}\"\r\nX-3,t,c,not json\r\n";

        await RejectedImport.AssertAsync(Client, Database, "product", body, "", DatasetsClient.Csv, (2, "title"), (4, "attributes"));
    }

    [Fact]
    public async Task A_negative_available_in_CSV_is_refused()
    {
        var body = "sku,available,warehouse\r\nX-1,-4,north\r\n";

        await RejectedImport.AssertAsync(Client, Database, "stock", body, "", DatasetsClient.Csv, (2, "available"));
    }

    [Fact]
    public async Task A_CSV_row_with_the_wrong_number_of_cells_is_refused()
    {
        var body = "sku,available\r\nX-1,1\r\nX-2,2,extra\r\n";

        await RejectedImport.AssertAsync(Client, Database, "stock", body, "", DatasetsClient.Csv, (3, null));
    }

    [Fact]
    public async Task Line_numbers_count_blank_lines()
    {
        var body = "sku,available\r\nX-1,1\r\n\r\nX-2,-1\r\n";

        await RejectedImport.AssertAsync(Client, Database, "stock", body, "", DatasetsClient.Csv, (4, "available"));
    }

    [Fact]
    public async Task Line_numbers_after_a_quoted_multi_line_cell_count_physical_lines()
    {
        var body = "sku,title,category\r\nX-1,\"two\r\nlines\",c\r\nX-2,,c\r\n";

        await RejectedImport.AssertAsync(Client, Database, "product", body, "", DatasetsClient.Csv, (4, "title"));
    }
}
