using Microsoft.Extensions.Options;

namespace Agent;

public sealed partial class AgentStartupReport(IOptions<AgentOptions> options, ILogger<AgentStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var agent = options.Value;
        LogStarted(agent.Environment, agent.Group, agent.ControlPlaneUrl);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent for {Environment}/{Group} configured against {ControlPlaneUrl}")]
    private partial void LogStarted(string environment, string group, string controlPlaneUrl);
}
