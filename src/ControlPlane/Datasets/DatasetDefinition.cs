using System.Collections.Frozen;

namespace ControlPlane.Datasets;

/// <summary>A field a record of some dataset may carry.</summary>
public enum FieldId
{
    Op,
    Sku,
    Amount,
    Currency,
    ListAmount,
    Available,
    Warehouse,
    Title,
    Category,
    Attributes,
}

/// <summary>One built-in dataset: its id in storage, its name in the API and the fields its records carry.</summary>
public sealed record DatasetDefinition(short Id, string Name, string Description, FrozenDictionary<string, FieldId> Fields)
{
    public static readonly DatasetDefinition Price = new(1, "price", "Selling price per SKU", Map(
        ("sku", FieldId.Sku), ("amount", FieldId.Amount), ("currency", FieldId.Currency), ("listAmount", FieldId.ListAmount)));

    public static readonly DatasetDefinition Stock = new(2, "stock", "Available stock per SKU", Map(
        ("sku", FieldId.Sku), ("available", FieldId.Available), ("warehouse", FieldId.Warehouse)));

    public static readonly DatasetDefinition Product = new(3, "product", "Product master data per SKU", Map(
        ("sku", FieldId.Sku), ("title", FieldId.Title), ("category", FieldId.Category), ("attributes", FieldId.Attributes)));

    public static IReadOnlyList<DatasetDefinition> All { get; } = [Price, Stock, Product];

    public static DatasetDefinition? Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));

    public static DatasetDefinition ById(short id) => All.First(d => d.Id == id);

    /// <summary>Field names accepted in an import line; <c>op</c> only in change sets.</summary>
    public bool TryGetField(string name, bool allowOp, out FieldId field)
    {
        if (allowOp && name == "op")
        {
            field = FieldId.Op;
            return true;
        }

        return Fields.TryGetValue(name, out field);
    }

    public string FieldName(FieldId field) =>
        field == FieldId.Op ? "op" : Fields.First(pair => pair.Value == field).Key;

    private static FrozenDictionary<string, FieldId> Map(params (string Name, FieldId Field)[] fields) =>
        fields.ToFrozenDictionary(f => f.Name, f => f.Field, StringComparer.Ordinal);
}
