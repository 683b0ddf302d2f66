using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace ControlPlane.Tests.Support;

/// <summary>
/// A request body written line by line with no Content-Length (chunked on a real connection). With
/// <c>failAfterLines</c> it behaves like a client that dies mid-upload: it throws after sending that many lines.
/// </summary>
public sealed class StreamedContent : HttpContent
{
    private readonly IReadOnlyList<string> _lines;
    private readonly int? _failAfterLines;

    public StreamedContent(IReadOnlyList<string> lines, string contentType, int? failAfterLines = null)
    {
        _lines = lines;
        _failAfterLines = failAfterLines;
        Headers.ContentType = new MediaTypeHeaderValue(contentType);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var i = 0; i < _lines.Count; i++)
        {
            if (i == _failAfterLines)
            {
                throw new IOException($"The client failed after sending {i} lines.");
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(_lines[i] + "\n"));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
