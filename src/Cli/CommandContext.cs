using System.CommandLine;
using ControlPlane.Client;

namespace ControlPlane.Cli;

/// <summary>What a command's action works with: the client, the console and the output settings.</summary>
public sealed class CommandContext(ControlPlaneClient client, CliConsole console, Uri url, OutputFormat format, bool quiet) : IDisposable
{
    public ControlPlaneClient Client => client;

    public CliConsole Console => console;

    public Uri Url => url;

    public OutputFormat Format => format;

    public bool Quiet => quiet;

    public bool Json => format == OutputFormat.Json;

    public TextWriter Out => console.Out;

    public TextWriter Error => console.Error;

    public static CommandContext Create(ParseResult parse, GlobalOptions options, CliConsole console)
    {
        var urlText = parse.GetValue(options.Url) ?? Variable(console, "CP_URL") ?? GlobalOptions.DefaultUrl;
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url (or CP_URL) must be an http or https URL, not '{urlText}'.");
        }

        var formatText = Variable(console, "CP_OUTPUT");
        var format = parse.GetValue(options.Output)
            ?? (formatText is null ? OutputFormat.Text
                : Enum.TryParse<OutputFormat>(formatText, ignoreCase: true, out var parsed) ? parsed
                : throw new UsageException($"CP_OUTPUT must be text or json, not '{formatText}'."));
        var clientOptions = new ControlPlaneClientOptions
        {
            Token = parse.GetValue(options.Token) ?? Variable(console, "CP_TOKEN"),
            IdempotencyKey = parse.GetValue(options.IdempotencyKey),
        };
        var baseAddress = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        var http = console.Handler is { } handler
            ? new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan }
            : new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        return new CommandContext(new ControlPlaneClient(http, clientOptions), console, url, format, parse.GetValue(options.Quiet));
    }

    private static string? Variable(CliConsole console, string name) => console.Variable(name) is { Length: > 0 } value ? value : null;

    public void Dispose() => client.Http.Dispose();
}

/// <summary>The command line or its input is wrong in a way the parser cannot see (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);
