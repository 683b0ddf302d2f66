namespace ControlPlane.Datasets;

/// <summary>One problem in an import body: the line (1-based, as the client counts them) and the field.</summary>
public sealed record ImportError(long Line, string? Field, string Message);

/// <summary>Collects the first <see cref="MaxReported"/> problems of an import and counts the rest.</summary>
public sealed class ImportErrors
{
    public const int MaxReported = 100;
    private readonly List<ImportError> _reported = [];

    public long Count { get; private set; }

    public bool Any => Count > 0;

    public IReadOnlyList<ImportError> Reported => _reported;

    public void Add(long line, string? field, string message)
    {
        Count++;
        if (_reported.Count < MaxReported)
        {
            _reported.Add(new ImportError(line, field, message));
        }
    }
}
