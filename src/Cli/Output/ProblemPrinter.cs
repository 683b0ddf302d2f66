using ControlPlane.Client;

namespace ControlPlane.Cli.Output;

/// <summary>Writes a ProblemDetails answer the way a person reads it: what went wrong, then each line or field at fault.</summary>
public static class ProblemPrinter
{
    public static async Task WriteAsync(TextWriter error, ApiProblem problem)
    {
        var head = $"error: {problem.Status} {problem.Title}";
        await error.WriteLineAsync(problem.Detail is { Length: > 0 } detail ? $"{head}: {detail}" : head);
        foreach (var item in problem.Errors)
        {
            var where = (item.Line, item.Field) switch
            {
                ({ } line, { } field) => $"line {line}, {field}: ",
                ({ } line, null) => $"line {line}: ",
                (null, { } field) => $"{field}: ",
                _ => "",
            };
            await error.WriteLineAsync($"  {where}{item.Message}");
        }

        if (problem.ErrorCount is { } count && count > problem.Errors.Count)
        {
            await error.WriteLineAsync($"  ... and {count - problem.Errors.Count} more");
        }
    }
}
