using System.IO.Pipelines;

namespace ControlPlane.Datasets;

/// <summary>Reads import lines one at a time from a streamed body; never holds the whole body.</summary>
public abstract class RecordReader : IDisposable
{
    public const string NdjsonContentType = "application/x-ndjson";
    public const string CsvContentType = "text/csv";

    /// <summary>The 1-based line number of the line last returned.</summary>
    public long Line { get; protected set; }

    /// <summary>
    /// Reads the next non-empty line into <paramref name="fields"/>. Problems with the line's syntax or field
    /// types go to <paramref name="errors"/> and set <see cref="RecordFields.HasParseError"/>.
    /// Returns false at the end of the body, or when the body cannot be read further.
    /// </summary>
    public abstract ValueTask<bool> ReadAsync(RecordFields fields, ImportErrors errors, CancellationToken cancellationToken);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>The reader for a Content-Type, or null when it is not one this API takes.</summary>
    public static RecordReader? Create(string? contentType, Stream body, DatasetDefinition dataset, bool allowOp)
    {
        var mediaType = contentType?.Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            NdjsonContentType or "application/jsonl" or "application/jsonlines" =>
                new NdjsonRecordReader(PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024)), dataset, allowOp),
            CsvContentType => new CsvRecordReader(body, dataset, allowOp),
            _ => null,
        };
    }
}
