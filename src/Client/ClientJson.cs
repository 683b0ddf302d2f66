using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Client;

/// <summary>The serializer settings of the API: camelCase members, enums as camelCase strings.</summary>
public static class ClientJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
