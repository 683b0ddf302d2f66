using ControlPlane.Cli;

return await CliApp.RunAsync(args, CliConsole.System());
