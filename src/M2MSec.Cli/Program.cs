// Decision 054: the demo replaces this process once, with tiered PGO off, before anything else runs.
M2MSec.Cli.Demo.DemoReexec.ReplaceForDemo(args);
// The functions talk over loopback: never through a proxy from the environment.
M2MSec.Cli.Internal.LoopbackDirect.Install();
return await M2MSec.Cli.M2MSecCli.RunAsync(args);
